import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { createRedisClient, Keyspace } from '@redwire/redis-kit';
import { killRedisClients, uniquePrefix } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  countingMetrics,
  type ItemCacheInstance,
  ItemTable,
  startItemCache,
  until,
} from './support/item-store';

// The in-process L1 on two instances, invalidated by each instance's own XREAD of the stream the writes
// publish to. Its own Redis server, so killing the fan-out connections touches nobody else's test.

const L1_TTL_MS = 5000;

let table: ItemTable;
let redis: RedisServer;
let publisher: Redis;
let stream: string;
const metricsOf = new Map<ItemCacheInstance, ReturnType<typeof countingMetrics>>();
let a: ItemCacheInstance;
let b: ItemCacheInstance;

async function instance(ns: string, name: string): Promise<ItemCacheInstance> {
  const metrics = countingMetrics();
  const started = await startItemCache(ns, table, {
    redisUrl: redis.url,
    metrics,
    l1: {
      ttlMs: L1_TTL_MS,
      fanout: {
        connection: createRedisClient({
          url: redis.url,
          service: 'cache-test',
          kind: 'blocking',
          purpose: name,
        }),
        stream,
        idsOf: (fields) => fields.id,
      },
    },
  });
  metricsOf.set(started, metrics);
  return started;
}

beforeAll(async () => {
  table = await ItemTable.create();
  redis = await startRedisServer();
  publisher = new Redis(redis.url);
  const ns = uniquePrefix('l');
  stream = new Keyspace({ service: 'shop', namespace: ns }).stream('item-changes');
  a = await instance(ns, 'l1-a');
  b = await instance(ns, 'l1-b');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  publisher?.disconnect();
  await redis?.stop();
  await table?.drop();
});

const l1Hits = (i: ItemCacheInstance) => metricsOf.get(i)?.count('request:l1:hit') ?? 0;

/** Reads `id` on `i`; true when the L1 answered. */
async function servedByL1(i: ItemCacheInstance, id: string): Promise<boolean> {
  const before = l1Hits(i);
  await i.cache.get(id);
  return l1Hits(i) === before + 1;
}

async function rename(i: ItemCacheInstance, id: string, name: string): Promise<number> {
  const version = await i.cache.write(
    () => table.rename(id, name),
    (v) => ({ id, version: v }),
  );
  await publisher.xadd(stream, '*', 'id', id, 'version', String(version));
  return version;
}

describe('L1 fan-out', () => {
  it('when another instance writes, then this instance drops its L1 entry long before the L1 TTL', async () => {
    const id = await table.insert();
    await until(() => servedByL1(b, id), 3000, 'a read served by the L1');
    expect((await b.cache.get(id)).version).toBe(1);

    await rename(a, id, 'changed');
    const took = await until(
      async () => (await b.cache.get(id)).version === 2,
      L1_TTL_MS,
      'B sees version 2',
    );
    console.info(`L1 on the other instance invalidated after ${Math.round(took)} ms (TTL ${L1_TTL_MS} ms)`);
    expect(took).toBeLessThan(1000);
  });

  it('when the writing instance reads its own write, then its L1 never serves the old version', async () => {
    const id = await table.insert();
    await until(() => servedByL1(a, id), 3000, 'a read served by the L1');
    await a.cache.write(
      () => table.rename(id, 'mine'),
      (version) => ({ id, version }),
    ); // no event published: only the writer's own invalidation
    expect(await a.cache.get(id)).toMatchObject({ version: 2, value: { name: 'mine' } });
  });

  it('when the fan-out subscription is lost, then the L1 is flushed and serves again only once it is back', async () => {
    const id = await table.insert();
    await until(() => servedByL1(b, id), 3000, 'a read served by the L1');
    expect(await killRedisClients(redis.url, { name: 'cache-test:state:blocking:l1-b' })).toBeGreaterThan(0);
    await until(async () => !(await servedByL1(b, id)), 2000, 'L1 flushed');
    await until(() => servedByL1(b, id), 10_000, 'the L1 serving again');
  });
});
