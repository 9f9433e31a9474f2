import { IdentitySigner, type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { pollUntil } from '@redwire/launchers';
import { createLogger, type Logger } from '@redwire/observability';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { SessionReader } from '@redwire/sessions';
import { uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { grantAdmin } from '../../src/accounts/admin-commands';
import { type AuthRuntime, type AuthRuntimeOverrides, createAuthRuntime } from '../../src/auth.runtime';
import { type AuthConfig, loadAuthConfig } from '../../src/config';
import { runMigrations } from '../../src/db/migrator';
import { UserServicePeer } from './user-service.peer';

export const SIGNING_KEY = 'test-identity-signing-key-0123456789abcdef';
export const PASSWORD = 'correct horse battery staple';

/** A migrated database of its own for one test file. */
export async function migratedDatabase() {
  const db = await freshDatabase();
  await runMigrations({ databaseUrl: db.url });
  return db;
}

/** Config as main.ts would load it from the environment, plus test overrides. */
export function testConfig(env: Record<string, string>): AuthConfig {
  return loadAuthConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    IDENTITY_SIGNING_KEY: SIGNING_KEY,
    REDIS_URL: sharedServers().redisUrl,
    REDIS_COMMAND_TIMEOUT: '2000',
    // Generous deadlines: the CI box runs many suites at once on 2 cores.
    DB_CONNECT_TIMEOUT: '5000',
    USER_SERVICE_TIMEOUT: '1000',
    // Tests about the request deadline set their own; the others must not trip it on a loaded box.
    REQUEST_BUDGET: '10s',
    ACCOUNT_SYNC_INTERVAL: '200',
    ...env,
  });
}

export interface AuthInstance {
  runtime: AuthRuntime;
  server: RunningHttpServer;
  url: string;
  close(): Promise<void>;
}

/** Builds and starts the service exactly as main.ts does, on a free port. */
export async function startAuth(
  config: AuthConfig,
  overrides: AuthRuntimeOverrides = {},
): Promise<AuthInstance> {
  const runtime = createAuthRuntime(config, {
    logger: createLogger({ service: 'redwire-auth', level: 'silent' }),
    ...overrides,
  });
  await runtime.start();
  const server = await startHttpServer(runtime.app, { port: 0 });
  return {
    runtime,
    server,
    url: server.url,
    async close() {
      await server.close(1000);
      await runtime.close();
    },
  };
}

/** A response read in full. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/**
 * Calls auth the way the gateway does: validates the token with the shared session reader, and if valid
 * signs X-Redwire-Identity for `auth`; always forwards the token itself (logout needs it).
 */
export class TestGateway {
  readonly reader: SessionReader;
  private readonly signer = new IdentitySigner({ key: SIGNING_KEY, cacheSize: 0 });

  constructor(
    readonly url: string,
    redis: RedisClient,
    namespace: string,
  ) {
    this.reader = new SessionReader({ redis, namespace });
  }

  /** The headers the gateway adds for a token: Authorization, plus X-Redwire-Identity when it is valid. */
  async identityHeaders(token: string): Promise<Record<string, string>> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    const result = await this.reader.validate(token);
    if (result.valid) {
      const { userId, role, tier, sessionId } = result.session;
      headers['x-redwire-identity'] = await this.signer.sign(
        { sub: userId, role, tier, sid: sessionId },
        'auth',
      );
    }
    return headers;
  }

  async call(
    method: string,
    path: string,
    /** `body`: a string is sent as is (raw JSON), anything else JSON-encoded. */
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token !== undefined) Object.assign(headers, await this.identityHeaders(options.token));
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers,
      body:
        options.body === undefined
          ? null
          : typeof options.body === 'string'
            ? options.body
            : JSON.stringify(options.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }
}

/** A running auth service with a user-service peer, a gateway stand-in and a raw Redis client. */
export interface AuthFixture {
  auth: AuthInstance;
  peer: UserServicePeer;
  gw: TestGateway;
  redis: RedisClient;
  namespace: string;
  config: AuthConfig;
  dbUrl: string;
  /** Another instance of the service on the same database, Redis namespace and user-service peer. */
  startSibling(env: Record<string, string>, overrides?: AuthRuntimeOverrides): Promise<AuthInstance>;
  register(email: string, password?: string): Promise<string>;
  /** Registers `email` and grants it role admin the way an operator does (admin.ts `grant`). */
  registerAdmin(email: string, password?: string): Promise<string>;
  login(email: string, password?: string): Promise<{ token: string; userId: string }>;
  close(): Promise<void>;
}

/** Starts everything one test file needs; `env` overrides config. */
export async function authFixture(
  env: Record<string, string> = {},
  overrides: AuthRuntimeOverrides & { logger?: Logger } = {},
  servers: { redisUrl?: string; database?: { url: string; drop(): Promise<void> } } = {},
): Promise<AuthFixture> {
  const db = servers.database ?? (await migratedDatabase());
  const redisUrl = servers.redisUrl ?? sharedServers().redisUrl;
  const namespace = uniquePrefix('a');
  const peer = new UserServicePeer({ signingKey: SIGNING_KEY, redisUrl, namespace });
  await peer.start();
  const baseEnv = {
    DATABASE_URL: db.url,
    REDIS_URL: redisUrl,
    REDIS_NAMESPACE: namespace,
    USER_SERVICE_URL: peer.url,
    ...env,
  };
  const config = testConfig(baseEnv);
  const siblings: AuthInstance[] = [];
  const auth = await startAuth(config, overrides);
  const redis = createRedisClient({
    url: redisUrl,
    service: 'auth-test',
    commandTimeoutMs: 5000,
  });
  await waitForReady(redis);
  const gw = new TestGateway(auth.url, redis, namespace);
  const register = async (email: string, password = PASSWORD) => {
    const res = await gw.call('POST', '/auth/register', { body: { email, password, name: 'Ada' } });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body.user as { id: string }).id;
  };
  return {
    auth,
    peer,
    gw,
    redis,
    namespace,
    config,
    dbUrl: db.url,
    async startSibling(more, siblingOverrides = {}) {
      const sibling = await startAuth(testConfig({ ...baseEnv, ...more }), siblingOverrides);
      siblings.push(sibling);
      return sibling;
    },
    register,
    async registerAdmin(email, password = PASSWORD) {
      const id = await register(email, password);
      const outcome = await grantAdmin(auth.runtime, email);
      if (outcome.kind !== 'granted') throw new Error(`grant: ${outcome.kind}`);
      return id;
    },
    async login(email, password = PASSWORD) {
      const res = await gw.call('POST', '/auth/login', { body: { email, password } });
      if (res.status !== 200) throw new Error(`login: ${res.status} ${JSON.stringify(res.body)}`);
      return { token: res.body.token as string, userId: (res.body.user as { id: string }).id };
    },
    async close() {
      await Promise.all(siblings.map((s) => s.close()));
      await auth.close();
      await peer.close();
      redis.disconnect();
      await db.drop();
    },
  };
}

/** A unique email. */
export const anEmail = (label = 'user') => `${uniquePrefix(label)}@example.com`;

/** Polls `probe` every 10 ms until it returns true; resolves with the time it took, or throws at the deadline. */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what = 'condition',
) {
  const started = performance.now();
  await pollUntil(probe, { what, timeoutMs, intervalMs: 10 });
  return performance.now() - started;
}
