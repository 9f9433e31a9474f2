import { Keyspace } from '@redwire/redis-kit';
import { testPool } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import type { WorkerRuntime } from '../src/worker.runtime';
import {
  asUser,
  createUser,
  migratedDatabase,
  namespace,
  startInstance,
  startWorker,
  testConfig,
  testWorkerConfig,
  type UserInstance,
  waitFor,
} from './support/user-stack';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let api: UserInstance;
let worker: WorkerRuntime;
let redis: Redis;
let admin: pg.Pool;
let keys: UserCacheKeys;
/** Users whose next write "crashes" between commit and the synchronous invalidation. */
const crashing = new Set<string>();
const committedAt = new Map<string, number>();

beforeAll(async () => {
  db = await migratedDatabase();
  const ns = namespace();
  api = await startInstance(testConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: ns }), {
    serviceHooks: {
      afterCommit: async (event) => {
        if (!crashing.delete(event.userId)) return;
        committedAt.set(event.userId, performance.now());
        // The process "dies" here: the invalidation below never runs, nothing is retried in-process.
        throw new Error('simulated crash after commit');
      },
    },
  });
  worker = await startWorker(testWorkerConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: ns }));
  redis = new Redis(sharedServers().redisUrl);
  admin = testPool(db.url, 2);
  keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: ns }));
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  redis?.disconnect();
  await admin?.end();
  await db?.drop();
});

describe('outbox backstop', () => {
  it('when the process dies between commit and the synchronous invalidation, then the outbox path invalidates within 1 s', async () => {
    const users: string[] = [];
    for (let i = 0; i < 10; i++) users.push(await createUser(api.url));
    for (const id of users) {
      await waitFor(
        async () => {
          await fetch(`${api.url}/users/${id}`);
          return (await redis.exists(keys.forUser(id).entry)) === 1;
        },
        3000,
        'cached',
      );
    }

    const lags: number[] = [];
    for (const id of users) {
      crashing.add(id);
      const res = await fetch(`${api.url}/users/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...(await asUser(id)) },
        body: JSON.stringify({ name: 'After crash' }),
      });
      expect(res.status).toBe(500); // the client saw the "crash"; the write itself committed
      await waitFor(
        async () => {
          const raw = await redis.get(keys.forUser(id).entry);
          return raw === null || (JSON.parse(raw) as { v: number }).v >= 2;
        },
        1000,
        'invalidation through the outbox',
      );
      const lag = performance.now() - (committedAt.get(id) as number);
      expect(lag).toBeLessThan(1000);
      lags.push(lag);
      const read = await (await fetch(`${api.url}/users/${id}`)).json();
      expect(read).toMatchObject({ name: 'After crash', version: 2 });
    }
    console.info('outbox invalidation lag after a crash (ms):', lags.map((l) => Math.round(l)).join(' '));
    const { rows } = await admin.query(
      'SELECT count(*)::int AS n FROM users.outbox WHERE user_id = ANY($1) AND published_at IS NULL',
      [users],
    );
    expect(rows[0].n).toBe(0);
  });
});
