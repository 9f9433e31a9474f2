import { createAuthRuntime, loadAuthConfig, runMigrations as migrateAuth } from '@redwire/auth';
import { createGatewayRuntime, loadGatewayConfig } from '@redwire/gateway';
import { type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import { waitForReady } from '@redwire/redis-kit';
import { freshDatabase } from '@redwire/testing/vitest';
import {
  createUserRuntime,
  createWorkerRuntime,
  loadServiceConfig,
  loadWorkerConfig,
  runMigrations as migrateUser,
} from '@redwire/user';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclRedis, startAclRedis } from './support/acl-redis';
import { registerAndLogin } from './support/local-stack';

// All four processes, built by their own runtime factories exactly as their main.ts builds them, each
// connected as its compose ACL user: the public API flows must not meet a single ACL denial.

const SIGNING_KEY = 'acl-stack-identity-signing-key-0123456789';
const silent = (service: string) => createLogger({ service, level: 'silent' });

let state: AclRedis;
let cache: AclRedis;
let gatewayUrl: string;
let startupDenials: string[];
const closers: (() => Promise<unknown>)[] = [];

async function serve(listener: Parameters<typeof startHttpServer>[0]): Promise<RunningHttpServer> {
  const server = await startHttpServer(listener, { port: 0 });
  closers.unshift(() => server.close(1000));
  return server;
}

beforeAll(async () => {
  [state, cache] = await Promise.all([startAclRedis('users.acl'), startAclRedis('users-cache.acl')]);
  const db = await freshDatabase();
  closers.push(() => db.drop());
  await migrateUser({ databaseUrl: db.url });
  await migrateAuth({ databaseUrl: db.url });
  const common = {
    NODE_ENV: 'test',
    // The Redis URLs carry .env.example's public passwords, as compose runs them: allowed on purpose.
    ALLOW_DEV_SECRETS: 'true',
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    REDIS_COMMAND_TIMEOUT: '2000',
  };

  const userEnv = { ...common, REDIS_URL: state.urlAs('user'), CACHE_REDIS_URL: cache.urlAs('user') };
  const user = createUserRuntime(loadServiceConfig({ ...userEnv, IDENTITY_SIGNING_KEY: SIGNING_KEY }), {
    logger: silent('redwire-user'),
  });
  closers.unshift(() => user.close());
  await user.start();
  await user.cache.ready(10_000);
  const userServer = await serve(user.app);
  const worker = createWorkerRuntime(loadWorkerConfig({ ...userEnv, METRICS_PORT: '0' }), {
    logger: silent('redwire-user-worker'),
  });
  closers.unshift(() => worker.close());
  await worker.start();

  const auth = createAuthRuntime(
    loadAuthConfig({
      ...common,
      REDIS_URL: state.urlAs('auth'),
      IDENTITY_SIGNING_KEY: SIGNING_KEY,
      USER_SERVICE_URL: userServer.url,
    }),
    { logger: silent('redwire-auth') },
  );
  closers.unshift(() => auth.close());
  await auth.start();
  const authServer = await serve(auth.app);

  const gateway = createGatewayRuntime(
    loadGatewayConfig({
      ...common,
      REDIS_URL: state.urlAs('gateway'),
      IDENTITY_SIGNING_KEY: SIGNING_KEY,
      USER_SERVICE_URL: userServer.url,
      AUTH_SERVICE_URL: authServer.url,
      RATE_LIMIT_DEADLINE: '2000',
      SESSION_CHECK_DEADLINE: '2000',
    }),
    { logger: silent('redwire-gateway') },
  );
  closers.unshift(() => gateway.close());
  await waitForReady(gateway.redis, 5000);
  gatewayUrl = (await serve(gateway.app.handler)).url;
  startupDenials = [...(await state.takeDenials()), ...(await cache.takeDenials())];
}, 120_000);

afterAll(async () => {
  for (const close of closers) await close().catch(() => undefined);
  await Promise.all([state?.stop(), cache?.stop()]);
});

describe('the whole stack on the compose ACL users', () => {
  it('when the four processes start (connections, consumer groups, BullMQ, scripts), then Redis denies nothing', () => {
    expect(startupDenials).toEqual([]);
  });

  it('when a user registers, fails and succeeds to log in, reads, writes and is deleted through the gateway, then Redis denies nothing', async () => {
    const ada = await registerAndLogin(gatewayUrl, 'acl-stack');
    const bearer = { authorization: `Bearer ${ada.token}` };
    const wrong = await fetch(`${gatewayUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ada.email, password: 'not-the-right-password' }),
    });
    expect(wrong.status).toBe(401);
    const reads = [];
    for (let i = 0; i < 2; i++) reads.push(await fetch(`${gatewayUrl}/users/${ada.id}`, { headers: bearer }));
    expect(reads.map((r) => r.headers.get('x-cache'))).toEqual(['MISS', 'HIT']);
    const patched = await fetch(`${gatewayUrl}/users/${ada.id}`, {
      method: 'PATCH',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ada L.' }),
    });
    expect(patched.status).toBe(200);
    expect((await fetch(`${gatewayUrl}/auth/sessions`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${gatewayUrl}/users/${ada.id}`, { method: 'DELETE', headers: bearer })).status).toBe(
      204,
    );

    // auth's consumer revokes the deleted user's sessions from the user-events stream.
    const deadline = Date.now() + 10_000;
    let me = 200;
    while (me !== 401 && Date.now() < deadline) {
      me = (await fetch(`${gatewayUrl}/auth/me`, { headers: bearer })).status;
      if (me !== 401) await new Promise((r) => setTimeout(r, 50));
    }
    expect(me).toBe(401);
    expect(await state.takeDenials()).toEqual([]);
    expect(await cache.takeDenials()).toEqual([]);
  }, 60_000);
});
