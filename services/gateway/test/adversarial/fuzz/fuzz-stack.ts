import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { grantAdmin, runMigrations as migrateAuth } from '@redwire/auth';
import { IdentitySigner, type RunningHttpServer, type ServiceName, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import { Keyspace } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { runMigrations as migrateUser } from '@redwire/user';
import {
  type AuthInstance,
  testConfig as authConfig,
  startAuth,
} from '../../../../auth/test/support/auth-stack';
import {
  startInstance as startUser,
  type UserInstance,
  testConfig as userConfig,
} from '../../../../user/test/support/user-stack';
import { loadGatewayConfig } from '../../../src/config';
import { createGatewayRuntime, type GatewayRuntime } from '../../../src/gateway.runtime';

/** One key for the whole stack (gateway signs, services verify). Not a development value: tests only. */
export const FUZZ_SIGNING_KEY = 'fuzz-stack-identity-signing-key-0123456789abcdef';
export const FUZZ_PASSWORD = 'correct horse battery staple fuzz';

/**
 * Limits so high that no answer of the fuzz run is a 429: the run is about what the services answer, and
 * a limiter refusing early would mask it. The gateway's own limiter is exercised by its own suites.
 */
const NO_LIMITS = [
  { name: 'ip', identity: 'ip', limit: 1_000_000, period: 1, burst: 1_000_000 },
  { name: 'user-free', identity: 'user', tiers: ['free'], limit: 1_000_000, period: 1, burst: 1_000_000 },
  { name: 'user-pro', identity: 'user', tiers: ['pro'], limit: 1_000_000, period: 1, burst: 1_000_000 },
];

/** A signed-in account of the fuzz run. */
export interface Principal {
  readonly id: string;
  readonly email: string;
  readonly token: string;
  readonly sessionId: string;
}

/** Whose credentials (or which hostile ones) a request carries; resolved when it is sent. */
export type Who = 'self' | 'other' | 'admin';

/** The full stack in-process on real Redis and PostgreSQL: gateway → user, auth (auth → user). */
export interface FuzzStack {
  readonly urls: { readonly gateway: string; readonly user: string; readonly auth: string };
  readonly principals: Readonly<Record<Who, Principal>>;
  /** A token that was valid once and has been revoked. */
  readonly revokedToken: string;
  /** A signed X-Redwire-Identity for `who` (or the auth service) to `audience`. */
  identity(who: Who | 'service', audience: ServiceName): Promise<string>;
  /** Replaces a principal whose account or session a successful request ended (DELETE, logout-all…). */
  refreshPrincipals(): Promise<void>;
  /** The domain state a 4xx must not change: rows, versions, sessions. Abuse counters are excluded. */
  fingerprint(): Promise<string>;
  close(): Promise<void>;
}

export async function startFuzzStack(): Promise<FuzzStack> {
  const db = await freshDatabase();
  await migrateUser({ databaseUrl: db.url });
  await migrateAuth({ databaseUrl: db.url });
  const namespace = uniquePrefix('fz');
  const redisUrl = sharedServers().redisUrl;
  const common = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_NAMESPACE: namespace,
    IDENTITY_SIGNING_KEY: FUZZ_SIGNING_KEY,
  };

  // Deadlines far above any answer time: the run is about what bad input gets, and the whole stack shares
  // one process on a box other test runs load too; a missed deadline would be a 503 that says nothing
  // about input. Deadline behaviour has its own (serial) suites.
  const patient = {
    REDIS_COMMAND_TIMEOUT: '10000',
    DB_STATEMENT_TIMEOUT: '10000',
    DB_CONNECT_TIMEOUT: '10000',
  };
  const user: UserInstance = await startUser(
    userConfig({ ...common, ...patient, USER_CACHE_LEASE_TTL: '15000' }),
  );
  const auth: AuthInstance = await startAuth(
    authConfig({
      ...common,
      ...patient,
      USER_SERVICE_URL: user.url,
      USER_SERVICE_TIMEOUT: '10000',
      // Every fuzzed login comes from 127.0.0.1: keep the back-off from hiding the password check.
      LOGIN_BACKOFF_AFTER: '100',
      LOGIN_BACKOFF_ACCOUNT_AFTER: '1000',
      // A full `npm run fuzz` on a loaded box runs past the 30 min idle default; a session expiring on its
      // own would show up as a read that changed state.
      SESSION_IDLE_TIMEOUT: String(24 * 3_600_000),
      SESSION_ABSOLUTE_TIMEOUT: String(48 * 3_600_000),
    }),
  );
  const policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-policies-'));
  const policyFile = path.join(policyDir, 'policies.json');
  fs.writeFileSync(policyFile, JSON.stringify({ policies: NO_LIMITS }));
  const gateway: GatewayRuntime = createGatewayRuntime(
    loadGatewayConfig({
      NODE_ENV: 'test',
      REDIS_URL: redisUrl,
      REDIS_NAMESPACE: namespace,
      IDENTITY_SIGNING_KEY: FUZZ_SIGNING_KEY,
      USER_SERVICE_URL: user.url,
      AUTH_SERVICE_URL: auth.url,
      PORT: '0',
      ADMIN_PORT: '0',
      RATE_LIMIT_POLICIES_FILE: policyFile,
      REDIS_COMMAND_TIMEOUT: '10000',
      RATE_LIMIT_DEADLINE: '10000',
      SESSION_CHECK_DEADLINE: '10000',
      UPSTREAM_TIMEOUT: '30000',
    }),
    { logger: createLogger({ service: 'redwire-gateway', level: 'silent' }) },
  );
  await gateway.start();
  const gatewayServer: RunningHttpServer = await startHttpServer(gateway.app.handler, { port: 0 });

  const signer = new IdentitySigner({ key: FUZZ_SIGNING_KEY, cacheSize: 0 });
  // The session store's per-account index (`auth:session:{tag}:ix`, shared/sessions session-keys.ts).
  const sessionIndex = (tag: string) =>
    new Keyspace({ service: 'auth', namespace }).tagged('session', tag, 'ix');
  const redis = auth.runtime.state;

  const call = async (method: string, url: string, body?: unknown, token?: string) => {
    const res = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const newPrincipal = async (label: string, admin = false): Promise<Principal> => {
    const email = `${uniquePrefix(label)}@example.com`;
    const registered = await call('POST', `${gatewayServer.url}/auth/register`, {
      email,
      password: FUZZ_PASSWORD,
      name: label,
    });
    if (admin) await grantAdmin(auth.runtime, email);
    const login = await call('POST', `${gatewayServer.url}/auth/login`, { email, password: FUZZ_PASSWORD });
    return {
      id: (registered.user as { id: string }).id,
      email,
      token: login.token as string,
      sessionId: (login.session as { id: string }).id,
    };
  };

  const principals: Record<Who, Principal> = {
    self: await newPrincipal('self'),
    other: await newPrincipal('other'),
    admin: await newPrincipal('admin', true),
  };
  const revoked = await newPrincipal('revoked');
  await call('POST', `${gatewayServer.url}/auth/logout`, undefined, revoked.token);

  let tags: string[] = [];
  const loadTags = async () => {
    const { rows } = await auth.runtime.pool.query<{ session_tag: string }>(
      'SELECT session_tag FROM auth.accounts',
    );
    tags = rows.map((r) => r.session_tag);
  };
  const sessionCount = async () => {
    const pipeline = redis.pipeline();
    for (const tag of tags) pipeline.zcard(sessionIndex(tag));
    const replies = (await pipeline.exec()) ?? [];
    return replies.reduce((sum, [error, n]) => {
      if (error) throw error;
      return sum + Number(n);
    }, 0);
  };
  await loadTags();

  const stillValid = async (p: Principal) => {
    const res = await fetch(`${gatewayServer.url}/auth/me`, {
      headers: { authorization: `Bearer ${p.token}` },
    });
    await res.body?.cancel();
    if (res.status !== 200) return false;
    // The profile must exist too (a DELETE /users/:id ends both, but the session ends asynchronously).
    const profile = await fetch(`${user.url}/users/${p.id}`);
    await profile.body?.cancel();
    return profile.status === 200;
  };

  return {
    urls: { gateway: gatewayServer.url, user: user.url, auth: auth.url },
    principals,
    revokedToken: revoked.token,
    identity(who, audience) {
      if (who === 'service') return signer.signService('auth', audience);
      const p = principals[who];
      return signer.sign(
        { sub: p.id, role: who === 'admin' ? 'admin' : 'user', tier: 'free', sid: p.sessionId },
        audience,
      );
    },
    async refreshPrincipals() {
      for (const who of ['self', 'other', 'admin'] as const) {
        if (!(await stillValid(principals[who]))) principals[who] = await newPrincipal(who, who === 'admin');
      }
      await loadTags();
    },
    async fingerprint() {
      // PostgreSQL and Redis at once: the rows' counts, versions and password hashes, and the session count
      // of every account known at the last successful write (an account a refused write created would
      // change the row count anyway).
      const [{ rows }, sessions] = await Promise.all([
        auth.runtime.pool.query<{ f: string }>(
          `SELECT concat_ws('|',
             (SELECT concat_ws(',', count(*), sum(version), max(updated_at)) FROM users.users),
             (SELECT count(*) FROM users.outbox),
             (SELECT concat_ws(',', count(*), sum(auth_version), sum(revision),
                md5(string_agg(password_hash, '' ORDER BY id))) FROM auth.accounts)) AS f`,
        ),
        sessionCount(),
      ]);
      return `${rows[0]?.f}|sessions:${sessions}`;
    },
    async close() {
      await gatewayServer.close(1000);
      await gateway.close();
      await auth.close();
      await user.close();
      fs.rmSync(policyDir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
