import { RateLimiter } from '@redwire/ratelimit';
import type { Keyspace, RedisClient } from '@redwire/redis-kit';
import type { Registry } from 'prom-client';
import type { PolicySet } from './policy-set';

/** What {@link createGatewayRateLimiter} needs; the numbers come from config.ts. */
export interface GatewayRateLimiterOptions {
  readonly redis: RedisClient;
  readonly keyspace: Keyspace;
  readonly policies: PolicySet;
  /** RATE_LIMIT_DEADLINE. */
  readonly deadlineMs: number;
  /** RATE_LIMIT_MAX_BATCH. */
  readonly maxBatch: number;
  /** RATE_LIMIT_DENY_CACHE_SIZE (0: off). */
  readonly denyCacheSize: number;
  /** RATE_LIMIT_INSTANCES. */
  readonly instances: number;
  /** RATE_LIMIT_LOCAL_MAX_ENTRIES. */
  readonly localMaxEntries: number;
  readonly registry?: Registry;
  /** Monotonic clock (ms) of the deny cache and the local limiter; a test seam. */
  readonly clock?: () => number;
}

/**
 * The gateway's limiter: its policies, keys under `[<ns>:]gateway:rl:` (the gateway's ACL prefix), metrics
 * named `gateway_ratelimit_*` and the breaker `gateway-ratelimit`; every other setting is the library's
 * default.
 */
export function createGatewayRateLimiter(options: GatewayRateLimiterOptions): RateLimiter {
  return new RateLimiter({
    redis: options.redis,
    policies: options.policies.limiterPolicies(),
    prefix: `${options.keyspace.prefix}:rl`,
    deadlineMs: options.deadlineMs,
    maxBatch: options.maxBatch,
    denyCacheSize: options.denyCacheSize,
    instances: options.instances,
    localMaxEntries: options.localMaxEntries,
    breaker: { name: 'gateway-ratelimit' },
    registry: options.registry,
    metricPrefix: 'gateway_ratelimit',
    clock: options.clock,
  });
}
