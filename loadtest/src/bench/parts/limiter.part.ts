// The gateway's limiter as the suite drives it, built the way createGatewayRuntime builds it (store with
// its deadline, circuit breaker, deny cache, metrics). The gateway exports no library entry, so this
// reaches into its compiled ratelimit module; every deep import of the gateway's code lives here.
import { PolicySet, RateLimiter, RateLimitMetrics, RateLimitStore } from '@redwire/gateway/dist/ratelimit';
import { createMetrics } from '@redwire/observability';
import { CircuitBreaker, Keyspace } from '@redwire/redis-kit';
import type { BenchStack } from '../stack/bench-stack';
import { closeClient, readyRequestClient } from './request-client';

/** One decision for a signed-in request of user `n` from IP `n`: both policies in one round trip. */
export interface LimiterUnderTest {
  /** Resolves to the decision's outcome and where it came from (`redis`, `deny-cache`, `degraded-*`). */
  decide(identity: number): Promise<{ outcome: string; source: string }>;
  /** The Redis key of the per-user policy for `identity` (for MEMORY USAGE). */
  userKey(identity: number): string;
}

/** A UUID (v7 layout) per identity number, like the user ids the gateway sees. */
function userId(identity: number): string {
  return `0195f1c2-7a3b-7cde-8f01-${identity.toString(16).padStart(12, '0')}`;
}

/** Two policies like a signed-in GET: per-user (by tier) and per-IP, GCRA, `limit` per `period` seconds each. */
export async function createLimiter(
  stack: BenchStack,
  options: {
    readonly namespace: string;
    readonly limit: number;
    readonly period: number;
    /** RATE_LIMIT_MAX_BATCH. @default 16 (the gateway's default) */
    readonly maxBatch?: number;
  },
): Promise<LimiterUnderTest> {
  const redis = await readyRequestClient(stack.redisUrl, 'bench-gateway');
  stack.onClose(() => closeClient(redis));
  const policies = new PolicySet([
    { name: 'user-free', identity: 'user', tiers: ['free'], limit: options.limit, period: options.period },
    { name: 'ip', identity: 'ip', limit: options.limit, period: options.period },
  ]);
  const metrics = createMetrics({ service: 'redwire-gateway' });
  // The gateway's defaults (config.ts): decision deadline 50 ms, deny cache of 10 000 identities.
  const breaker = new CircuitBreaker({
    name: 'gateway-ratelimit',
    registry: metrics.registry,
    minimumCalls: 20,
    windowMs: 5000,
    windowBuckets: 5,
    openDurationMs: 1000,
  });
  stack.onClose(async () => breaker.shutdown());
  const store = new RateLimitStore({
    redis,
    keys: new Keyspace({ service: 'gateway', namespace: options.namespace }),
    deadlineMs: 50,
    maxBatch: options.maxBatch ?? 16,
  });
  const limiter = new RateLimiter({
    store,
    breaker,
    denyCache: { maxEntries: 10_000 },
    metrics: new RateLimitMetrics(metrics.registry),
  });
  const checksOf = (identity: number) =>
    policies.checksFor({
      method: 'GET',
      path: '/users/x',
      ipKey: `10.0.${identity >> 8}.${identity & 255}`,
      user: { id: userId(identity), tier: 'free' },
    });
  return {
    async decide(identity) {
      const { outcome, source } = await limiter.decide(checksOf(identity));
      return { outcome, source };
    },
    userKey(identity) {
      const check = checksOf(identity)[0];
      if (!check) throw new Error('no user policy selected');
      return store.key(check);
    },
  };
}
