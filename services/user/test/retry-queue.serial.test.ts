import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Keyspace } from '@redwire/redis-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import type { WorkerRuntime } from '../src/worker.runtime';
import {
  asUser,
  counterValue,
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

// Two Redis roles: the state Redis (stream, BullMQ) stays up while the cache Redis goes down. The
// user-cache consumer cannot invalidate, hands the work to BullMQ, and the job's retries apply it once
// the cache is back, with no help from the API's recovery sweep (its gate is held).

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let cacheServer: RedisServer;
let dataDir: string;
let api: UserInstance;
let worker: WorkerRuntime;
let keys: UserCacheKeys;

beforeAll(async () => {
  db = await migratedDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-user-retry-'));
  cacheServer = await startRedisServer({
    dataDir,
    extraArgs: ['--appendfsync', 'always'],
    maxmemoryPolicy: 'allkeys-lru',
  });
  const ns = namespace();
  const env = { DATABASE_URL: db.url, REDIS_NAMESPACE: ns, CACHE_REDIS_URL: cacheServer.url };
  api = await startInstance(testConfig(env));
  worker = await startWorker(testWorkerConfig({ ...env, OUTBOX_POLL_INTERVAL: '200' }));
  keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: ns }));
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  await cacheServer?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

describe('re-invalidation through BullMQ', () => {
  it('when the cache Redis is down as the event arrives, then a retried job invalidates the entry once it is back', async () => {
    const id = await createUser(api.url);
    await waitFor(
      async () => (await fetch(`${api.url}/users/${id}`)).headers.get('x-cache') === 'HIT',
      5000,
      'cached',
    );
    await api.runtime.cache.close(); // keep the API's recovery sweep out of this test
    await cacheServer.stop();

    const res = await fetch(`${api.url}/users/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(await asUser(id)) },
      body: JSON.stringify({ name: 'Changed while the cache was down' }),
    });
    expect(res.status).toBe(200);
    await waitFor(
      async () => ((await worker.invalidationQueue.getJobCounts('delayed')).delayed ?? 0) > 0,
      5000,
      'a re-invalidation job waiting for its retry',
    );

    await cacheServer.start();
    const jobInvalidations = () =>
      counterValue(worker, 'redwire_user_cache_invalidations_total', { path: 'job', outcome: 'invalidated' });
    await waitFor(async () => (await jobInvalidations()) >= 1, 15_000, 'the retried job applied');
    const raw = new Redis(cacheServer.url);
    try {
      expect(await raw.exists(keys.forUser(id).entry)).toBe(0);
    } finally {
      raw.disconnect();
    }
    expect(
      await counterValue(worker, 'redwire_user_cache_invalidations_total', {
        path: 'event',
        outcome: 'failed',
      }),
    ).toBeGreaterThanOrEqual(1);
    const read = await fetch(`${api.url}/users/${id}`);
    expect((await read.json()) as { version: number }).toMatchObject({ version: 2 });
  });
});
