import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { runMigrations as runUserMigrations, type WorkerRuntime } from '@redwire/user';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asAuthService,
  asUser,
  startInstance,
  startWorker,
  testWorkerConfig,
  type UserInstance,
  testConfig as userConfig,
} from '../../user/test/support/user-stack';
import { runMigrations } from '../src/db/migrator';
import {
  type AuthInstance,
  anEmail,
  PASSWORD,
  startAuth,
  TestGateway,
  testConfig,
} from './support/auth-stack';

// The real thing end to end: auth registers through the real user service; the user service's DELETE goes
// through its outbox, the worker's relay publishes user.deleted, and auth's consumer ends the sessions.
describe('auth with the real user service and worker', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let user: UserInstance;
  let worker: WorkerRuntime;
  let auth: AuthInstance;
  let redis: RedisClient;
  let gw: TestGateway;
  let sql: pg.Client;

  beforeAll(async () => {
    db = await freshDatabase();
    // One database, two schemas, as in the local stack.
    await runUserMigrations({ databaseUrl: db.url });
    await runMigrations({ databaseUrl: db.url });
    const namespace = uniquePrefix('e');
    user = await startInstance(userConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: namespace }));
    worker = await startWorker(testWorkerConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: namespace }));
    auth = await startAuth(
      testConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: namespace, USER_SERVICE_URL: user.url }),
    );
    redis = createRedisClient({
      url: sharedServers().redisUrl,
      service: 'auth-test',
      commandTimeoutMs: 5000,
    });
    await waitForReady(redis);
    gw = new TestGateway(auth.url, redis, namespace);
    sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    redis?.disconnect();
    await auth?.close();
    await worker?.close();
    await user?.close();
    await db?.drop();
  });

  const register = (email: string) =>
    gw.call('POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Grace' } });

  it('when registration succeeds, then GET /users/:id answers 200 right after the 201', async () => {
    const email = anEmail();
    const res = await register(email);
    expect(res.status).toBe(201);
    const id = (res.body.user as { id: string }).id;
    expect(res.body.user).toMatchObject({ id, email, name: 'Grace', version: 1 });
    const profile = await fetch(`${user.url}/users/${id}`, { headers: await asUser(id) });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ id, email });
    expect((await register(email)).status).toBe(409);
  });

  it('when a profile exists without credentials (a rolled-back registration), then auth deletes it', async () => {
    // What a create that landed after its registration's rollback leaves behind: a profile, no account.
    const email = anEmail();
    const id = uuidv7();
    const created = await fetch(`${user.url}/internal/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await asAuthService()) },
      body: JSON.stringify({ id, email, name: 'Orphan' }),
    });
    expect(created.status).toBe(201);
    // Its user.created event reaches auth's consumer, which finds no account and deletes the profile.
    const deadline = performance.now() + 5000;
    let status = 200;
    while (status !== 404 && performance.now() < deadline) {
      status = (await fetch(`${user.url}/users/${id}`, { headers: await asUser(id) })).status;
      if (status !== 404) await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe(404);
    expect((await register(email)).status).toBe(201);
  });

  it('when a user is deleted, then all their sessions end within 1 s of the DELETE response', async () => {
    const email = anEmail();
    const id = ((await register(email)).body.user as { id: string }).id;
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
      expect(res.status).toBe(200);
      tokens.push(res.body.token as string);
    }
    for (const token of tokens) expect((await gw.reader.validate(token)).valid).toBe(true);

    const deleted = await fetch(`${user.url}/users/${id}`, { method: 'DELETE', headers: await asUser(id) });
    expect(deleted.status).toBe(204);
    const answeredAt = performance.now();
    let ended = false;
    while (performance.now() - answeredAt < 1000) {
      const results = await Promise.all(tokens.map((t) => gw.reader.validate(t)));
      if (results.every((r) => !r.valid)) {
        ended = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    const took = performance.now() - answeredAt;
    console.info(`user.deleted → every session ended ${took.toFixed(0)} ms after the DELETE response`);
    expect(ended).toBe(true);

    // Credentials go too, and the email can register again.
    const deadline = performance.now() + 2000;
    while (
      (await sql.query('SELECT 1 FROM auth.accounts WHERE id = $1', [id])).rowCount &&
      performance.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(401);
    expect((await register(email)).status).toBe(201);
  });
});
