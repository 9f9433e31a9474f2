import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type PostgresServer, startPostgresServer } from '@redwire/launchers';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrator';
import {
  asUser,
  bodyOf,
  createUser,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
} from './support/user-stack';

// PostgreSQL stops (its own server, so the shared one is untouched): cached reads keep answering, STALE
// within the configured bound once past their fresh time; misses and writes are 503; it recovers by itself.

const FRESH_MS = 3000; // long enough for stopping PostgreSQL on a loaded box to fit inside it

let pgServer: PostgresServer;
let instance: UserInstance;

beforeAll(async () => {
  pgServer = await startPostgresServer();
  const db = await createDatabase(pgServer.adminUrl, 'users');
  await runMigrations({ databaseUrl: db.url });
  instance = await startInstance(
    testConfig({
      DATABASE_URL: db.url,
      REDIS_NAMESPACE: namespace(),
      USER_CACHE_TTL: String(FRESH_MS),
      USER_CACHE_TTL_JITTER_PERCENT: '0',
      USER_CACHE_STALE: '60s',
      DB_CONNECT_TIMEOUT: '500',
    }),
  );
});
afterAll(async () => {
  await instance?.close();
  await pgServer?.stop({ remove: true });
});

const patch = async (id: string) =>
  fetch(`${instance.url}/users/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(await asUser(id)) },
    body: JSON.stringify({ name: 'Changed' }),
  });

describe('PostgreSQL outage', () => {
  it('when PostgreSQL is stopped, then cached reads stay 200 (STALE after their fresh time), misses and writes are 503, and it recovers', async () => {
    const id = await createUser(instance.url);
    expect((await fetch(`${instance.url}/users/${id}`)).headers.get('x-cache')).toBe('MISS');
    const filledAt = performance.now();
    await pgServer.stop({ remove: false });

    const hit = await fetch(`${instance.url}/users/${id}`);
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-cache')).toBe('HIT');

    await sleep(Math.max(0, filledAt + FRESH_MS + 100 - performance.now()));
    const started = performance.now();
    const stale = await fetch(`${instance.url}/users/${id}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('x-cache')).toBe('STALE');
    expect((await bodyOf(stale)).version).toBe(1);
    expect(performance.now() - started).toBeLessThan(2000);

    const miss = await fetch(`${instance.url}/users/${uuidv7()}`);
    expect(miss.status).toBe(503);
    const problem = await bodyOf(miss);
    expect(problem.code).toBe('E_UNAVAILABLE');
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|postgres|connect/i);
    expect((await patch(id)).status).toBe(503);
    expect((await fetch(`${instance.url}/users?limit=5`)).status).toBe(503);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(503);

    await pgServer.start();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await patch(id)).status;
      if (status !== 200) await sleep(100);
    }
    expect(status).toBe(200);
    const fresh = await fetch(`${instance.url}/users/${id}`);
    expect((await bodyOf(fresh)).version).toBe(2);
    expect((await fetch(`${instance.url}/readyz`)).status).toBe(200);
  });
});
