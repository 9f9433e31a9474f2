// The limiter as the suite drives it: @redwire/ratelimit through its public API, with the settings the
// gateway runs it with (its defaults: decision deadline 50 ms, circuit breaker, deny cache of 10 000 keys,
// Prometheus metrics registered).
import { createMetrics } from '@redwire/observability';
import { RateLimiter } from '@redwire/ratelimit';
import type { BenchStack, BenchTopology } from '../stack/bench-stack';
import { closeClient, readyRequestClient } from './request-client';

/** One decision for a signed-in request of user `n` from IP `n`: both policies in one round trip. */
export interface LimiterUnderTest {
  /** Resolves to the decision's outcome and who decided (`redis`, `deny-cache`, `degraded-*`). */
  decide(identity: number): Promise<{ outcome: string; source: string }>;
  /** The Redis key of the per-user policy for `identity` (for MEMORY USAGE). */
  userKey(identity: number): string;
}

/** A UUID (v7 layout) per identity number, like the user ids the gateway sees. */
function userId(identity: number): string {
  return `0195f1c2-7a3b-7cde-8f01-${identity.toString(16).padStart(12, '0')}`;
}

/** Two policies like a signed-in GET: per-user and per-IP, GCRA, `limit` per `period` seconds each. */
export async function createLimiter(
  stack: BenchStack,
  options: {
    readonly namespace: string;
    readonly limit: number;
    readonly period: number;
    /** The limiter's `maxBatch`. @default 16 (its default) */
    readonly maxBatch?: number;
    /** The Redis it decides on. @default 'single' */
    readonly topology?: BenchTopology;
  },
): Promise<LimiterUnderTest> {
  const redis = await readyRequestClient(stack.redisTarget(options.topology ?? 'single'), 'bench-gateway');
  stack.onClose(() => closeClient(redis));
  const metrics = createMetrics({ service: 'redwire-gateway' });
  const limiter = new RateLimiter({
    redis,
    policies: [
      { name: 'user-free', limit: options.limit, period: options.period },
      { name: 'ip', limit: options.limit, period: options.period },
    ],
    prefix: `${options.namespace}:gateway:rl`,
    maxBatch: options.maxBatch,
    registry: metrics.registry,
  });
  stack.onClose(async () => limiter.close());
  // The gateway's keys: a user policy by user id, an IP policy by `i.<address>`.
  const keysOf = (identity: number) => ({
    'user-free': userId(identity),
    ip: `i.10.0.${identity >> 8}.${identity & 255}`,
  });
  return {
    async decide(identity) {
      const { outcome, source } = await limiter.limit(keysOf(identity));
      return { outcome, source };
    },
    userKey(identity) {
      return limiter.keyOf('user-free', userId(identity));
    },
  };
}
