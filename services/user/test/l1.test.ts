import { killRedisClients, type RedisServer, startRedisServer } from '@redwire/testing';
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

// The in-process L1 on two instances, invalidated by each instance's own XREAD of user-events. Its own
// Redis server, so killing the fan-out connections touches nobody else's test.

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

/** Reads until `i`'s L1 holds `id` (the user.created event may still be on its way to evict it). */
async function warmL1(i: UserInstance, id: string) {
  await waitFor(
    async () => {
      await versionOn(i, id);
      return i.runtime.l1?.get(id) !== undefined;
    },
    3000,
    'L1 holds the user',
  );
}

describe('L1 fan-out', () => {
  it('when another instance writes, then this instance drops its L1 entry long before the L1 TTL', async () => {
    const id = await createUser(a.url);
    // A late user.created event may still evict it once: read until a read is served by the L1.
    await waitFor(
      async () => {
        await warmL1(b, id);
        const before = await l1Hits(b);
        return (await versionOn(b, id)) === 1 && (await l1Hits(b)) === before + 1;
      },
      5000,
      'a read served by the L1',
    );

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

  it('when the writing instance reads its own write, then its L1 never serves the old version', async () => {
    const id = await createUser(a.url);
    expect(await versionOn(a, id)).toBe(1);
    expect(await versionOn(a, id)).toBe(1);
    await fetch(`${a.url}/users/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(await asUser(id)) },
      body: JSON.stringify({ name: 'Mine' }),
    });
    expect(await versionOn(a, id)).toBe(2);
  });

  it('when the fan-out subscription is lost, then the L1 is flushed and off until it is back', async () => {
    const id = await createUser(a.url);
    await warmL1(b, id);
    const l1 = b.runtime.l1;
    expect(l1?.size).toBeGreaterThan(0);
    expect(await killRedisClients(redis.url, { name: 'user:state:blocking:l1-fanout' })).toBeGreaterThan(0);
    await waitFor(() => l1?.available === false || l1?.size === 0, 2000, 'L1 flushed');
    expect(l1?.size).toBe(0);
    await waitFor(() => l1?.available === true, 10_000, 'subscription back');
  });
});
