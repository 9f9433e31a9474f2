import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pollUntil, type RedisServer, startRedisServer } from '@redwire/launchers';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { Redis } from 'ioredis';
import { envExampleValue, readRepoFile } from './repo';

/** What Redis answers a command (or a script's command) the ACL user may not run. */
export const NOPERM = /NOPERM|can't access/;

/** A user that only tests add, to read `ACL LOG` and inspect keys; compose never has it. */
export const TEST_ADMIN = 'acl-test-admin';

/** A redis-server loaded with a committed ACL file, plus an admin connection for inspection. */
export interface AclRedis {
  readonly server: RedisServer;
  /** Connected as {@link TEST_ADMIN}. */
  readonly admin: Redis;
  /** `redis://<user>:<.env.example password>@127.0.0.1:<port>`, as compose builds the services' URLs. */
  urlAs(user: string): string;
  /** A plain ioredis connection as `user` (ready check off: the health check user may not run INFO). */
  connectAs(user: string): Promise<Redis>;
  /** A request-path client as the services build it (redis-kit), authenticated from the URL. */
  serviceClient(user: string): Promise<RedisClient>;
  /** Every ACL denial logged since the last call (`<user> <reason> <object>`), then clears the log. */
  takeDenials(): Promise<string[]>;
  stop(): Promise<void>;
}

/** The `.env.example` password of an ACL user (`REDIS_<USER>_PASSWORD`). */
export function passwordOf(user: string): string {
  return envExampleValue(`REDIS_${user.toUpperCase().replaceAll('-', '_')}_PASSWORD`);
}

/**
 * Starts Redis with `infra/redis/<file>` exactly as committed, followed by one test-only admin line
 * (`withAdmin`), or byte for byte (`withAdmin: false`; then `admin` cannot do anything).
 */
export async function startAclRedis(file: string, options: { withAdmin?: boolean } = {}): Promise<AclRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-acl-'));
  const aclFile = path.join(dir, 'users.acl');
  const committed = readRepoFile('infra/redis', file);
  const adminLine = `user ${TEST_ADMIN} on nopass ~* &* +@all`;
  fs.writeFileSync(
    aclFile,
    options.withAdmin === false ? committed : `${committed.replace(/\n?$/, '\n')}${adminLine}\n`,
  );
  const server = await startRedisServer({ aclFile });
  const opened: { disconnect(): void }[] = [];
  const connect = async (user: string, password: string) => {
    const client = new Redis({
      host: server.host,
      port: server.port,
      username: user,
      password,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    opened.push(client);
    await client.connect();
    return client;
  };
  const admin =
    options.withAdmin === false ? new Redis({ lazyConnect: true }) : await connect(TEST_ADMIN, 'x');
  return {
    server,
    admin,
    urlAs: (user) => `redis://${user}:${encodeURIComponent(passwordOf(user))}@${server.host}:${server.port}`,
    connectAs: (user) => connect(user, passwordOf(user)),
    async serviceClient(user) {
      const url = `redis://${user}:${encodeURIComponent(passwordOf(user))}@${server.host}:${server.port}`;
      const client = createRedisClient({ url, service: user, commandTimeoutMs: 5000 });
      opened.push(client);
      await waitForReady(client);
      return client;
    },
    async takeDenials() {
      const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
      await admin.call('ACL', 'LOG', 'RESET');
      return entries.map((flat) => {
        const entry: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) entry[String(flat[i])] = String(flat[i + 1]);
        return `${entry.username} ${entry.reason} ${entry.object}`;
      });
    },
    async stop() {
      for (const client of opened) client.disconnect();
      admin.disconnect();
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `probe` until it holds; throws after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await pollUntil(probe, { what, timeoutMs });
}
