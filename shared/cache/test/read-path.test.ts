import { currentDeadline, RequestDeadline, runWithDeadline } from '@redwire/deadline';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Keyspace } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheInvalidator, EntityCache, type EntityCacheOptions } from '../src/index';
import {
  countingMetrics,
  deferred,
  type Item,
  type ItemCacheInstance,
  ItemTable,
  isItem,
  requestClient,
  startItemCache,
} from './support/item-store';

// The read path against real Redis and a real PostgreSQL table: two instances stand for two processes
// (each its own client, gate and flight coalescer), the table is the source of truth.

let table: ItemTable;
const instances: ItemCacheInstance[] = [];

beforeAll(async () => {
  table = await ItemTable.create(20);
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  await table?.drop();
});

async function start(
  namespace: string,
  options: Partial<EntityCacheOptions<Item>> & { redisUrl?: string } = {},
): Promise<ItemCacheInstance> {
  const instance = await startItemCache(namespace, table, options);
  instances.push(instance);
  return instance;
}

/** A loader that pauses its first `count` loads after their SELECT until released. */
function pausingLoad(count = 1) {
  const selected = deferred();
  const release = deferred();
  let paused = 0;
  const load = async (id: string) => {
    const loaded = await table.load(id);
    if (paused++ < count) {
      selected.resolve();
      await release.promise;
    }
    return loaded;
  };
  return { load, selected: selected.promise, release: () => release.resolve() };
}

describe('stale-set race', () => {
  it('when a reader is paused after its SELECT while another instance commits and invalidates, then the key ends absent or at the new version', async () => {
    const ns = uniquePrefix('s');
    const pause = pausingLoad();
    const metrics = countingMetrics();
    const reader = await start(ns, { load: pause.load, metrics });
    const writer = await start(ns);
    const id = await table.insert('old');

    const read = reader.cache.get(id);
    await pause.selected; // the reader holds the lease and has read version 1
    await writer.cache.write(
      () => table.rename(id, 'new'),
      (version) => ({ id, version }),
    );
    pause.release();

    expect(await read).toMatchObject({ version: 1, status: 'MISS' }); // legitimate: it began before the write
    const entry = await writer.redis.get(writer.cache.keys.for(id).entry);
    if (entry !== null) expect(JSON.parse(entry).v).toBe(2);
    expect(metrics.count('fill:lease_lost')).toBe(1);
    expect(await reader.cache.get(id)).toMatchObject({ value: { name: 'new' }, version: 2 });
  });
});

describe('stampede control', () => {
  it('when 500 concurrent cold reads of one id hit 2 instances, then the source is loaded exactly once', async () => {
    const ns = uniquePrefix('s');
    const slow = async (id: string) => {
      const loaded = await table.load(id);
      await new Promise((r) => setTimeout(r, 300));
      return loaded;
    };
    const metrics = countingMetrics();
    const options = { load: slow, leaseTtlMs: 10_000, metrics };
    const a = await start(ns, options);
    const b = await start(ns, options);
    const id = await table.insert();
    const before = table.loads;

    const reads = await Promise.all(
      Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? a : b).cache.get(id)),
    );
    expect(new Set(reads.map((r) => r.version))).toEqual(new Set([1]));
    expect(new Set(reads.map((r) => r.status))).not.toContain('BYPASS');
    expect({ loads: table.loads - before, redisErrors: metrics.count('request:l2:error') }).toEqual({
      loads: 1,
      redisErrors: 0,
    });
  });
});

describe('stale while refreshing', () => {
  it('when an entry is past its fresh time and another instance is refreshing it, then it is served STALE at once', async () => {
    const ns = uniquePrefix('s');
    const pause = pausingLoad();
    const ttls = { ttlMs: 300, ttlJitter: 0, staleMs: 60_000 };
    const refresher = await start(ns, { ...ttls, load: pause.load });
    const other = await start(ns, ttls);
    const id = await table.insert();
    expect((await other.cache.get(id)).status).toBe('MISS');
    await new Promise((r) => setTimeout(r, 400));

    const refreshing = refresher.cache.get(id);
    await pause.selected;
    expect(await other.cache.get(id)).toMatchObject({ status: 'STALE', version: 1 });
    pause.release();
    expect((await refreshing).status).toBe('MISS');
    expect((await other.cache.get(id)).status).toBe('HIT');
  });

  it('when the source fails and a past-fresh entry exists, then it answers STALE unless staleIfError refuses that error', async () => {
    let down = false;
    const load = async (id: string) => {
      if (down) throw new Error('source down');
      return table.load(id);
    };
    const ttls = { ttlMs: 200, ttlJitter: 0, staleMs: 60_000, load };
    const lenient = await start(uniquePrefix('s'), ttls);
    const strict = await start(uniquePrefix('s'), { ...ttls, staleIfError: () => false });
    const id = await table.insert();
    await lenient.cache.get(id);
    await strict.cache.get(id);
    await new Promise((r) => setTimeout(r, 300));
    down = true;
    expect(await lenient.cache.get(id)).toMatchObject({ status: 'STALE', version: 1 });
    await expect(strict.cache.get(id)).rejects.toThrow('source down');
    await expect(lenient.cache.get(await table.insert())).rejects.toThrow('source down'); // nothing stale
  });
});

describe('negative entries, values the cache refuses, and loader bugs', () => {
  it('when an id does not exist, then it is cached as absent until a write of it invalidates the entry', async () => {
    const { cache } = await start(uniquePrefix('s'));
    const id = uniquePrefix('new');
    expect(await cache.get(id)).toEqual({ value: undefined, version: 0, status: 'MISS' });
    expect(await cache.get(id)).toEqual({ value: undefined, version: 0, status: 'HIT' });
    await cache.write(
      () => table.insert('created', id),
      () => ({ id, version: 1 }),
    );
    expect(await cache.get(id)).toMatchObject({ value: { name: 'created' }, version: 1, status: 'MISS' });
  });

  it('when a value is over maxValueBytes or fails the guard, then the caller gets it and nothing is cached', async () => {
    const metrics = countingMetrics();
    const big = await start(uniquePrefix('s'), { maxValueBytes: 64, metrics });
    const id = await table.insert('x'.repeat(200));
    expect(await big.cache.get(id)).toMatchObject({ status: 'MISS', version: 1 });
    expect(await big.redis.exists(big.cache.keys.for(id).entry)).toBe(0);
    expect((await big.cache.get(id)).status).toBe('MISS');
    expect(metrics.count('fill:too_large')).toBe(2);

    const odd = await start(uniquePrefix('s'), {
      metrics,
      load: async (key) => ({ value: { id: key, name: 'n', version: 1, extra: true }, version: 1 }),
    });
    expect(await odd.cache.get('any')).toMatchObject({ status: 'MISS', value: { extra: true } });
    expect(await odd.redis.exists(odd.cache.keys.for('any').entry)).toBe(0);
    expect(metrics.count('fill:invalid')).toBe(1);
  });

  it('when load returns a version that is not a positive integer, then the read rejects with a TypeError', async () => {
    const { cache } = await start(uniquePrefix('s'), {
      load: async (id) => ({ value: { id, name: 'n', version: 0 }, version: 0 }),
    });
    await expect(cache.get('x')).rejects.toThrow(TypeError);
  });
});

describe('writes and invalidations', () => {
  it('when write() resolves, then every instance reads the new version (read-your-writes)', async () => {
    const ns = uniquePrefix('s');
    const a = await start(ns);
    const b = await start(ns);
    const id = await table.insert();
    await a.cache.get(id);
    await b.cache.get(id);
    await a.cache.write(
      () => table.rename(id, 'second'),
      (version) => ({ id, version }),
    );
    expect(await a.cache.get(id)).toMatchObject({ version: 2, value: { name: 'second' } });
    expect(await b.cache.get(id)).toMatchObject({ version: 2, value: { name: 'second' } });
  });

  it('when a write runs under a request deadline, then its transaction ends invalidationBudgetMs early and the invalidation runs outside it', async () => {
    const { cache } = await start(uniquePrefix('s'), { invalidationBudgetMs: 400 });
    const id = await table.insert();
    let left = Number.NaN;
    let after: number | undefined;
    await runWithDeadline(RequestDeadline.after(1000), () =>
      cache.write(
        async () => {
          left = currentDeadline()?.remainingMs() ?? Number.NaN;
          return table.rename(id, 'under deadline');
        },
        (version) => {
          after = currentDeadline()?.remainingMs();
          return { id, version };
        },
      ),
    );
    expect(left).toBeLessThanOrEqual(600);
    expect(after).toBeGreaterThan(600); // the caller's own deadline again, not the reserved one
    expect((await cache.get(id)).version).toBe(2);
  });

  it('when another process invalidates through CacheInvalidator, then reads load the new version, and an older or duplicate event changes nothing', async () => {
    const ns = uniquePrefix('s');
    const { cache, redis } = await start(ns);
    const invalidator = new CacheInvalidator({
      redis,
      name: 'item',
      keyspace: new Keyspace({ service: 'shop', namespace: ns }),
    });
    const id = await table.insert();
    await cache.get(id);
    const version = await table.rename(id, 'by someone else');
    expect(await invalidator.invalidate(id, version)).toBe('invalidated');
    expect(await cache.get(id)).toMatchObject({ version: 2, status: 'MISS' });
    expect(await invalidator.invalidate(id, 1)).toBe('skipped');
    expect(await invalidator.invalidate(id, 2)).toBe('skipped');
    expect(await cache.get(id)).toMatchObject({ version: 2, status: 'HIT' });
  });
});

describe('options', () => {
  it('when options are missing or impossible, then the constructor refuses them, listing every problem', () => {
    const redis = requestClient();
    try {
      expect(() => new EntityCache({} as EntityCacheOptions<Item>)).toThrow(
        /name is required; redis must be an ioredis client; load must be a function; give exactly one of schema/,
      );
      const base = { name: 'item', redis, load: table.load, guard: isItem };
      expect(
        () => new EntityCache({ ...base, ttlMs: 10_000, maxTtlMs: 5_000, floorTtlMs: 10, ttlJitter: 1 }),
      ).toThrow(
        /ttlJitter must be in \[0, 1\); ttlMs must not exceed maxTtlMs; floorTtlMs must be at least leaseTtlMs/,
      );
      expect(() => new EntityCache({ ...base, name: 'Not A Name' })).toThrow(/must match/);
      expect(
        () =>
          new EntityCache({
            ...base,
            l1: { fanout: { connection: redis, stream: 's' } } as unknown as EntityCacheOptions<Item>['l1'],
          }),
      ).toThrow(/l1.fanout needs a connection, a stream key and idsOf/);
      expect(new EntityCache(base).options).toMatchObject({
        ttlMs: 300_000,
        leaseTtlMs: 2000,
        maxReadBatch: 16,
      });
    } finally {
      redis.disconnect();
    }
  });
});

// A server of its own: the assertions count this server's commands.
describe('hit path budget', () => {
  let own: RedisServer;
  let probe: Redis;
  beforeAll(async () => {
    own = await startRedisServer();
    probe = new Redis(own.url);
  });
  afterAll(async () => {
    probe?.disconnect();
    await own?.stop();
  });

  async function commandsDuring(work: () => Promise<unknown>): Promise<Record<string, number>> {
    const stats = async () => {
      const calls: Record<string, number> = {};
      for (const m of (await probe.info('commandstats')).matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g))
        calls[m[1] as string] = Number(m[2]);
      return calls;
    };
    const before = await stats();
    await work();
    const after = await stats();
    return Object.fromEntries(
      Object.entries(after)
        .map(([cmd, n]) => [cmd, n - (before[cmd] ?? 0)] as const)
        .filter(([cmd, n]) => n > 0 && cmd !== 'info' && cmd !== 'ping'), // PING: the gate's probe
    );
  }

  it('when a warm id is read 200 times, then each read is one Redis GET and no load', async () => {
    const { cache } = await start(uniquePrefix('s'), { redisUrl: own.url });
    const id = await table.insert();
    expect((await cache.get(id)).status).toBe('MISS');
    const loads = table.loads;
    const commands = await commandsDuring(async () => {
      for (let i = 0; i < 200; i++) expect((await cache.get(id)).status).toBe('HIT');
    });
    expect(commands).toEqual({ get: 200 });
    expect(table.loads).toBe(loads);
  });

  it('when getMany reads 20 warm ids, then they leave as 2 MGETs (16 + 4) and come back in order', async () => {
    const { cache } = await start(uniquePrefix('s'), { redisUrl: own.url });
    const ids = await Promise.all(Array.from({ length: 19 }, (_, i) => table.insert(`n${i}`)));
    ids.push(uniquePrefix('absent'));
    const first = await cache.getMany(ids);
    expect(first.map((r) => r.value?.name)).toEqual([...ids.slice(0, 19).map((_, i) => `n${i}`), undefined]);
    let again: Awaited<ReturnType<typeof cache.getMany>> = [];
    expect(
      await commandsDuring(async () => {
        again = await cache.getMany(ids);
      }),
    ).toEqual({ mget: 2 });
    expect(again.map((r) => r.status)).toEqual(ids.map(() => 'HIT'));
    expect(again.map((r) => r.value?.id)).toEqual([...ids.slice(0, 19), undefined]);
  });
});
