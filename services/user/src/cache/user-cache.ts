import { CacheInvalidator, type CacheMetrics, createCacheMetrics, EntityCache } from '@redwire/cache';
import { parseUserEvent } from '@redwire/contracts';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import type { Keyspace, RedisClient } from '@redwire/redis-kit';
import type { Registry } from 'prom-client';
import type { ServiceConfig, WorkerConfig } from '../config';
import type { User } from '../users/user.model';
import type { UserRepository } from '../users/user.repository';
import { isCachedUser } from './cached-user.guard';
import { USER_CACHE_NAME, USER_CACHE_SCHEMA_VERSION } from './user-cache.keys';

/** The user profile cache: `@redwire/cache` over the users table. */
export type UserCache = EntityCache<User>;

/**
 * The cache's series under their historical names (`redwire_user_cache_*`, no extra label), which the
 * dashboards and alerts use; the service and the worker register them on their own registries.
 */
export function createUserCacheMetrics(registry: Registry): CacheMetrics {
  return createCacheMetrics({ registry, prefix: 'redwire_user_cache' });
}

/** What {@link createUserCache} wires together. */
export interface UserCacheDeps {
  /** The cache Redis (request-path client). */
  readonly redis: RedisClient;
  readonly keyspace: Keyspace;
  readonly repository: UserRepository;
  readonly registry: Registry;
  /** A blocking connection to the state Redis and the `user-events` stream key, when the L1 is on. */
  readonly l1Fanout?: { readonly connection: RedisClient; readonly stream: string } | undefined;
  /** Test seam: wraps the loader (e.g. to pause a reader after its SELECT). @default none */
  readonly wrapLoad?: ((load: UserRepository['findById']) => UserRepository['findById']) | undefined;
  readonly onStateChange?: (state: string, reason: string) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * The user-specific part of the cache: the User guard, the loader (the repository, always the primary),
 * the recovery sweep's write log (the outbox), "PostgreSQL unavailable" as the only error answered STALE,
 * the L1's fan-out from `user-events`, and the `USER_CACHE_*` settings.
 */
export function createUserCache(config: ServiceConfig, deps: UserCacheDeps): UserCache {
  const { repository } = deps;
  const findById = repository.findById.bind(repository);
  const find = deps.wrapLoad ? deps.wrapLoad(findById) : findById;
  return new EntityCache<User>({
    name: USER_CACHE_NAME,
    schemaVersion: USER_CACHE_SCHEMA_VERSION,
    redis: deps.redis,
    keyspace: deps.keyspace,
    guard: isCachedUser,
    load: async (id) => {
      const user = await find(id);
      return user && { value: user, version: user.version };
    },
    writesSince: async (since) =>
      (await repository.writesSince(since)).map((w) => ({ id: w.userId, version: w.version })),
    staleIfError: (error) => error instanceof DatabaseUnavailableError,
    ttlMs: config.USER_CACHE_TTL,
    ttlJitter: config.USER_CACHE_TTL_JITTER_PERCENT / 100,
    maxTtlMs: config.USER_CACHE_MAX_TTL,
    staleMs: config.USER_CACHE_STALE,
    negativeTtlMs: config.USER_CACHE_NEGATIVE_TTL,
    leaseTtlMs: config.USER_CACHE_LEASE_TTL,
    floorTtlMs: config.USER_CACHE_FLOOR_TTL,
    invalidationBudgetMs: config.USER_CACHE_INVALIDATION_BUDGET,
    maxReadBatch: config.USER_CACHE_MAX_READ_BATCH,
    failAfter: config.USER_CACHE_FAIL_AFTER,
    probeIntervalMs: config.USER_CACHE_PROBE_INTERVAL,
    sweepMarginMs: config.USER_CACHE_SWEEP_MARGIN,
    stallThresholdMs: Math.max(1, Math.floor(config.REDIS_COMMAND_TIMEOUT / 2)),
    breaker: {
      name: 'user-cache',
      minimumCalls: config.USER_CACHE_BREAKER_MIN_CALLS,
      openDurationMs: config.USER_CACHE_BREAKER_OPEN,
      registry: deps.registry,
    },
    ...(config.USER_CACHE_L1 && deps.l1Fanout
      ? {
          l1: {
            ttlMs: config.USER_CACHE_L1_TTL,
            maxEntries: config.USER_CACHE_L1_MAX_ENTRIES,
            fanout: {
              ...deps.l1Fanout,
              idsOf: (fields: Readonly<Record<string, string>>) => parseUserEvent(fields)?.userId,
            },
          },
        }
      : {}),
    metrics: createUserCacheMetrics(deps.registry),
    ...(deps.onStateChange ? { onStateChange: deps.onStateChange } : {}),
    ...(deps.onError ? { onError: deps.onError } : {}),
  });
}

/** The worker's invalidator of the same cache (the `user-cache` consumer group and the retry job). */
export function createUserCacheInvalidator(
  config: WorkerConfig,
  deps: { readonly redis: RedisClient; readonly keyspace: Keyspace; readonly registry: Registry },
): CacheInvalidator {
  return new CacheInvalidator({
    redis: deps.redis,
    name: USER_CACHE_NAME,
    schemaVersion: USER_CACHE_SCHEMA_VERSION,
    keyspace: deps.keyspace,
    floorTtlMs: config.USER_CACHE_FLOOR_TTL,
    // Not on a request path: it may wait longer than a write's synchronous invalidation.
    budgetMs: Math.max(config.USER_CACHE_INVALIDATION_BUDGET, 500),
    metrics: createUserCacheMetrics(deps.registry),
  });
}
