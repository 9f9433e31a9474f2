import { RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import { type CaseSession, prepare, type ThroughputCase, type ThroughputRunner } from '../core/case.types';
import { runClosedLoop } from '../core/closed-loop.driver';
import { createLimiter } from '../parts/limiter.part';
import type { BenchTopology } from '../stack/bench-stack';

/** Identities the allow path cycles through, so keys are many and cold-ish like real traffic. */
const IDENTITIES = 10_000;
const QUOTA_PER_MINUTE = 100_000;

const loopDriver = (s: { callers: number }) => `in-process closed loop, ${s.callers} callers`;

/** Limiter allow path: every decision admitted. */
export const limiterAllowCase: ThroughputCase = {
  kind: 'throughput',
  id: 'limiter-allow',
  title: 'Rate limiter, allow path (2 policies per decision)',
  unit: 'decisions/s',
  driver: loopDriver,
  baseline: 'evalsha-floor',
  notes: [
    'Each decision is a signed-in request: a per-user and a per-IP GCRA policy, quotas never reached; identities cycle over 10 000.',
    'redwire decides both policies in one EVALSHA (all-or-nothing); rate-limiter-flexible needs one call per policy (run concurrently here, its best case) and is not all-or-nothing.',
    'The floor is `EVALSHA` of `return 1`: no limiter can be cheaper than one script round trip.',
    "Cluster variants run against a 3-master Redis Cluster on the same machine (no replicas). A decision's two policies belong to two identities in two slots: two EVALSHAs in parallel. The identities of one turn's decisions (16 of 10 000) almost never share a slot, so slot coalescing rarely has anything to group here (see the ratelimit README's numbers for a global key).",
  ],
  variants: [
    {
      id: 'evalsha-floor',
      label: 'trivial EVALSHA (floor)',
      role: 'baseline',
      description: 'EVALSHA of `return 1` with one key, plain ioredis.',
    },
    {
      id: 'rlf-1',
      label: 'rate-limiter-flexible, 1 policy',
      role: 'baseline',
      description: 'RateLimiterRedis.consume() on one limiter (its Lua increment).',
    },
    {
      id: 'rlf-2',
      label: 'rate-limiter-flexible, 2 policies',
      role: 'baseline',
      description: 'Two RateLimiterRedis.consume() calls per decision, concurrently.',
    },
    {
      id: 'redwire-2',
      label: 'redwire limiter, 2 policies',
      role: 'redwire',
      description:
        "@redwire/ratelimit `RateLimiter.limit()` over 2 policies with its defaults (the gateway's settings): decide-N.lua under a 50 ms deadline, behind a circuit breaker; the decisions of one event-loop turn share one EVALSHA (at most 16).",
    },
    {
      id: 'redwire-2-unbatched',
      label: 'redwire limiter, 2 policies, no coalescing',
      role: 'redwire',
      description:
        "The same with `maxBatch: 1` (the gateway's RATE_LIMIT_MAX_BATCH=1): one EVALSHA per decision (for reference).",
    },
    {
      id: 'evalsha-floor-cluster',
      label: 'trivial EVALSHA (floor), cluster',
      role: 'baseline',
      description:
        'EVALSHA of `return 1` with one key, plain ioredis Cluster client, on the 3-master cluster.',
    },
    {
      id: 'redwire-2-cluster',
      label: 'redwire limiter, 2 policies, cluster',
      role: 'redwire',
      description:
        'The redwire limiter with its defaults on the 3-master cluster: one decide-N.lua per identity (slot), in parallel; the decisions of one turn whose identities share a slot share one EVALSHA (at most 16).',
    },
    {
      id: 'redwire-2-cluster-unbatched',
      label: 'redwire limiter, 2 policies, cluster, no coalescing',
      role: 'redwire',
      description: 'The same with `maxBatch: 1`: one EVALSHA per identity per decision (for reference).',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    const plain = stack.plainRedis();
    const loop =
      (op: (caller: number, i: number) => Promise<unknown>): ThroughputRunner =>
      (durationMs) =>
        runClosedLoop(op, { callers: settings.callers, durationMs });
    let next = 0;
    const identity = () => {
      next = (next + 1) % IDENTITIES;
      return next;
    };

    const floorSha = (await plain.script('LOAD', 'return 1')) as string;
    const rlf = (prefix: string) =>
      new RateLimiterRedis({ storeClient: plain, keyPrefix: prefix, points: QUOTA_PER_MINUTE, duration: 60 });
    const rlfUser = rlf('bench-rlf-user');
    const rlfIp = rlf('bench-rlf-ip');

    const redwire = async (namespace: string, maxBatch: number, topology: BenchTopology = 'single') => {
      const limiter = await createLimiter(stack, {
        namespace,
        limit: QUOTA_PER_MINUTE,
        period: 60,
        maxBatch,
        topology,
      });
      return loop(async () => {
        const { outcome, source } = await limiter.decide(identity());
        if (outcome !== 'allowed' || source !== 'redis')
          throw new Error(`${outcome} (${source}) on the allow path`);
      });
    };

    return {
      variants: {
        'evalsha-floor': await prepare(() =>
          loop(async () => {
            if ((await plain.evalsha(floorSha, 1, `bench:floor:${identity()}`)) !== 1)
              throw new Error('bad reply');
          }),
        ),
        'rlf-1': await prepare(() => loop(() => rlfUser.consume(`u${identity()}`))),
        'rlf-2': await prepare(() =>
          loop(() => {
            const n = identity();
            return Promise.all([rlfUser.consume(`u${n}`), rlfIp.consume(`i${n}`)]);
          }),
        ),
        'redwire-2': await prepare(() => redwire('bench-allow', 16)),
        'redwire-2-unbatched': await prepare(() => redwire('bench-allow-1', 1)),
        'evalsha-floor-cluster': await prepare(async () => {
          const cluster = await stack.plainCluster();
          for (const node of cluster.nodes('master')) await node.script('LOAD', 'return 1');
          return loop(async () => {
            if ((await cluster.evalsha(floorSha, 1, `bench:floor:${identity()}`)) !== 1)
              throw new Error('bad reply');
          });
        }),
        'redwire-2-cluster': await prepare(() => redwire('bench-allow-c', 16, 'cluster')),
        'redwire-2-cluster-unbatched': await prepare(() => redwire('bench-allow-c1', 1, 'cluster')),
      },
      close: async () => {},
    };
  },
};

/** Limiter deny path: one identity far over its quota, every decision refused. */
export const limiterDenyCase: ThroughputCase = {
  kind: 'throughput',
  id: 'limiter-deny',
  title: 'Rate limiter, deny path (identity over its limit)',
  unit: 'decisions/s',
  driver: loopDriver,
  baseline: 'rlf-1',
  notes: [
    'All callers hammer 64 identities that spent their quota (1 per day); every decision must be a denial.',
    'rate-limiter-flexible keeps incrementing the counter of a denied key (one Lua call per denial); `inMemoryBlockOnConsumed` is its own opt-in local block, shown for reference.',
  ],
  variants: [
    {
      id: 'rlf-1',
      label: 'rate-limiter-flexible, 1 policy',
      role: 'baseline',
      description: 'RateLimiterRedis.consume() rejecting (default options).',
    },
    {
      id: 'rlf-1-block',
      label: 'rate-limiter-flexible + inMemoryBlockOnConsumed',
      role: 'baseline',
      description: 'Same, with its opt-in in-process block of consumed keys.',
    },
    {
      id: 'redwire-2',
      label: 'redwire limiter, 2 policies',
      role: 'redwire',
      description:
        '@redwire/ratelimit `RateLimiter.limit()` over 2 policies, one exhausted: after the first Redis deny, its in-process deny cache answers until Redis said quota returns.',
    },
    {
      id: 'redwire-2-cluster',
      label: 'redwire limiter, 2 policies, cluster',
      role: 'redwire',
      description: 'The same on the 3-master cluster.',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    const plain = stack.plainRedis();
    const loop =
      (op: (caller: number) => Promise<unknown>): ThroughputRunner =>
      (durationMs) =>
        runClosedLoop(op, { callers: settings.callers, durationMs });
    const isDenial = (error: unknown) => typeof (error as RateLimiterRes).msBeforeNext === 'number';
    const denyOnly = (consume: (caller: number) => Promise<unknown>) =>
      loop(async (caller) => {
        try {
          await consume(caller);
        } catch (error) {
          if (isDenial(error)) return;
          throw error;
        }
        throw new Error('admitted on the deny path');
      });

    const rlf = new RateLimiterRedis({
      storeClient: plain,
      keyPrefix: 'bench-rlf-deny',
      points: 1,
      duration: 86_400,
    });
    const rlfBlock = new RateLimiterRedis({
      storeClient: plain,
      keyPrefix: 'bench-rlf-deny-block',
      points: 1,
      duration: 86_400,
      inMemoryBlockOnConsumed: 1,
    });
    for (let caller = 0; caller < settings.callers; caller++) {
      await rlf.consume(`u${caller}`).catch(() => {});
      await rlfBlock.consume(`u${caller}`).catch(() => {});
    }
    const redwireDeny = async (namespace: string, topology: BenchTopology) => {
      const limiter = await createLimiter(stack, { namespace, limit: 1, period: 86_400, topology });
      for (let caller = 0; caller < settings.callers; caller++) await limiter.decide(caller);
      return loop(async (caller) => {
        const { outcome, source } = await limiter.decide(caller);
        if (outcome !== 'limited' || source.startsWith('degraded')) {
          throw new Error(`${outcome} (${source}) on the deny path`);
        }
      });
    };

    return {
      variants: {
        'rlf-1': await prepare(() => denyOnly((caller) => rlf.consume(`u${caller}`))),
        'rlf-1-block': await prepare(() => denyOnly((caller) => rlfBlock.consume(`u${caller}`))),
        'redwire-2': await prepare(() => redwireDeny('bench-deny', 'single')),
        'redwire-2-cluster': await prepare(() => redwireDeny('bench-deny-c', 'cluster')),
      },
      close: async () => {},
    };
  },
};
