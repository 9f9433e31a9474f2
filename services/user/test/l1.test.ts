import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

// The in-process L1 on two instances, invalidated by each instance's own XREAD of user-events, as the
// outbox relay publishes them: the user service's fan-out wiring (@redwire/cache's l1-fanout.test.ts covers
// the L1's bounds and the subscription's loss).

const L1_TTL_MS = 5000;

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let redis: RedisServer;
let a: UserInstance;
let b: UserInstance;
let worker: WorkerRuntime;

beforeAll(async () => {
  db = await migratedDatabase();
  redis = await startRedisServer();
  const ns = namespace();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    REDIS_NAMESPACE: ns,
    USER_CACHE_L1: 'true',
    USER_CACHE_L1_TTL: String(L1_TTL_MS),
  };
  a = await startInstance(testConfig(env));
  b = await startInstance(testConfig(env));
  worker = await startWorker(
    testWorkerConfig({
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_NAMESPACE: ns,
      OUTBOX_POLL_INTERVAL: '200',
    }),
  );
});
afterAll(async () => {
  await worker?.close();
  await a?.close();
  await b?.close();
  await redis?.stop();
  await db?.drop();
});

const l1Hits = (i: UserInstance) =>
  counterValue(i.runtime, 'redwire_user_cache_requests_total', { tier: 'l1', result: 'hit' });
const versionOn = async (i: UserInstance, id: string) =>
  ((await (await fetch(`${i.url}/users/${id}`)).json()) as { version: number }).version;

/** Reads `id` on `i`; true when the L1 answered. */
async function servedByL1(i: UserInstance, id: string): Promise<boolean> {
  const before = await l1Hits(i);
  await versionOn(i, id);
  return (await l1Hits(i)) === before + 1;
}

describe('L1 fan-out', () => {
  it('when another instance writes, then this instance drops its L1 entry long before the L1 TTL', async () => {
    const id = await createUser(a.url);
    // A late user.created event may still evict it once: read until a read is served by the L1.
    await waitFor(() => servedByL1(b, id), 5000, 'a read served by the L1');

    const res = await fetch(`${a.url}/users/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(await asUser(id)) },
      body: JSON.stringify({ name: 'Changed' }),
    });
    expect(res.status).toBe(200);
    const took = await waitFor(async () => (await versionOn(b, id)) === 2, L1_TTL_MS, 'B sees version 2');
    console.info(`L1 on the other instance invalidated after ${Math.round(took)} ms (TTL ${L1_TTL_MS} ms)`);
    expect(took).toBeLessThan(1000);
  });
});
