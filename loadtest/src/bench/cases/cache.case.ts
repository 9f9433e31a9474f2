import { type CaseSession, prepare, type ThroughputCase, type ThroughputRunner } from '../core/case.types';
import { runClosedLoop } from '../core/closed-loop.driver';
import { createBento } from '../parts/bentocache.part';
import { startProfileCache } from '../parts/cache.part';
import { seedUsers, sharedUserRuntime, userEntries } from '../parts/user.part';
import type { BenchTopology } from '../stack/bench-stack';

const RAW_PREFIX = 'bench:raw:user:';

/** Cache hit path at library level: every read is a hit, no HTTP. */
export const cacheHitCase: ThroughputCase = {
  kind: 'throughput',
  id: 'cache-hit',
  title: 'Cache hit path (library level, no HTTP)',
  unit: 'reads/s',
  driver: (s) => `in-process closed loop, ${s.callers} callers`,
  baseline: 'raw-get',
  notes: [
    'Reads cycle over 100 users whose entries are all present (every read is a hit); values are the same user profiles for every variant.',
    "redwire reads through @redwire/cache's EntityCache built from its public entry (circuit breaker and gate, envelope freshness check, the user service's guard of a cached User, Prometheus metrics included); L1+L2 is the same with its L1 on (1 s, invalidated by the stream fan-out).",
    "bentocache runs with its defaults (L1: memory driver, no bus); its L1 keeps entries for their full TTL, redwire's L1 for at most 1 s.",
    'Cluster variants read from a 3-master Redis Cluster on the same machine (no replicas). Each id is its own hash tag, so an MGET can only group the reads of one id: 16 reads of one turn over 100 ids rarely share a slot.',
  ],
  variants: [
    {
      id: 'raw-get',
      label: 'raw GET + JSON.parse',
      role: 'baseline',
      description: 'ioredis GET of the profile JSON, then JSON.parse.',
    },
    {
      id: 'bento-l2',
      label: 'bentocache L2 (Redis)',
      role: 'baseline',
      description: 'bentocache 1.6 get() with only the Redis driver.',
    },
    {
      id: 'bento-l1l2',
      label: 'bentocache L1+L2',
      role: 'baseline',
      description: 'bentocache 1.6 get() with memory + Redis drivers.',
    },
    {
      id: 'redwire-l2',
      label: 'redwire EntityCache L2',
      role: 'redwire',
      description:
        'EntityCache.get(): Redis GET + envelope decode, gate and metrics; the reads of one event-loop turn share one MGET (at most 16).',
    },
    {
      id: 'redwire-l2-unbatched',
      label: 'redwire EntityCache L2, no coalescing',
      role: 'redwire',
      description: 'The same with maxReadBatch 1: one GET per read (for reference).',
    },
    {
      id: 'redwire-l1l2',
      label: 'redwire EntityCache L1+L2',
      role: 'redwire',
      description: 'EntityCache.get() with the in-process L1 in front.',
    },
    {
      id: 'raw-get-cluster',
      label: 'raw GET + JSON.parse, cluster',
      role: 'baseline',
      description: 'ioredis Cluster GET of the profile JSON, then JSON.parse, on the 3-master cluster.',
    },
    {
      id: 'redwire-l2-cluster',
      label: 'redwire EntityCache L2, cluster',
      role: 'redwire',
      description:
        'EntityCache.get() on the 3-master cluster: the reads of one turn that share a hash slot (the same id) share one MGET.',
    },
    {
      id: 'redwire-l2-cluster-unbatched',
      label: 'redwire EntityCache L2, cluster, no coalescing',
      role: 'redwire',
      description: 'The same with maxReadBatch 1: one GET per read (for reference).',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    const loop =
      (op: (caller: number, i: number) => Promise<unknown>): ThroughputRunner =>
      (durationMs) =>
        runClosedLoop(op, { callers: settings.callers, durationMs });
    const { missing } = userEntries();
    if (missing || !stack.databaseUrl) {
      const reason = `user service not built (${missing ?? stack.databaseMissing})`;
      return {
        variants: Object.fromEntries(cacheHitCase.variants.map((v) => [v.id, { missing: reason }])),
        close: async () => {},
      };
    }
    const ids = await seedUsers(stack);
    let next = 0;
    const nextId = () => {
      next = (next + 1) % ids.length;
      return ids[next] as string;
    };

    // Every variant serves the same profiles: read them once through the service.
    const service = await sharedUserRuntime(stack);
    const profiles = new Map<string, unknown>();
    for (const id of ids) {
      const read = await service.cache.get(id);
      if (!read.value) throw new Error(`seeded user ${id} not found`);
      profiles.set(id, read.value);
    }

    const plain = stack.plainRedis();
    for (const [id, user] of profiles)
      await plain.set(`${RAW_PREFIX}${id}`, JSON.stringify(user), 'EX', 3600);

    const bentoRunner = async (withL1: boolean, prefix: string) => {
      const cache = await createBento(stack.redisUrl, { l1: withL1, ttl: '1h' });
      stack.onClose(() => cache.close());
      for (const [id, user] of profiles) await cache.set(`${prefix}${id}`, user);
      return loop(async () => {
        if ((await cache.get(`${prefix}${nextId()}`)) === undefined) throw new Error('bentocache miss');
      });
    };
    const redwireRunner = async (
      namespace: string,
      options: { l1: boolean; maxReadBatch?: number; topology?: BenchTopology },
    ) => {
      const cache = await startProfileCache(stack, { ...options, namespace });
      for (const id of ids) await cache.get(id);
      return loop(async () => {
        const read = await cache.get(nextId());
        if (read.status !== 'HIT') throw new Error(`${read.status} on the hit path`);
      });
    };

    return {
      variants: {
        'raw-get': await prepare(() =>
          loop(async () => {
            const raw = await plain.get(`${RAW_PREFIX}${nextId()}`);
            if (raw === null) throw new Error('raw miss');
            JSON.parse(raw);
          }),
        ),
        'bento-l2': await prepare(() => bentoRunner(false, 'l2:')),
        'bento-l1l2': await prepare(() => bentoRunner(true, 'l1l2:')),
        'redwire-l2': await prepare(() => redwireRunner('l2', { l1: false })),
        'redwire-l2-unbatched': await prepare(() =>
          redwireRunner('l2-unbatched', { l1: false, maxReadBatch: 1 }),
        ),
        'redwire-l1l2': await prepare(() => redwireRunner('l1l2', { l1: true })),
        'raw-get-cluster': await prepare(async () => {
          const cluster = await stack.plainCluster();
          for (const [id, user] of profiles)
            await cluster.set(`${RAW_PREFIX}{${id}}`, JSON.stringify(user), 'EX', 3600);
          return loop(async () => {
            const raw = await cluster.get(`${RAW_PREFIX}{${nextId()}}`);
            if (raw === null) throw new Error('raw miss');
            JSON.parse(raw);
          });
        }),
        'redwire-l2-cluster': await prepare(() => redwireRunner('l2c', { l1: false, topology: 'cluster' })),
        'redwire-l2-cluster-unbatched': await prepare(() =>
          redwireRunner('l2c-unbatched', { l1: false, maxReadBatch: 1, topology: 'cluster' }),
        ),
      },
      close: async () => {},
    };
  },
};
