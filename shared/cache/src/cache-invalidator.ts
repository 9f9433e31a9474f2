import { type Keyspace, type RedisClient, withDeadline } from '@redwire/redis-kit';
import { CacheKeys } from './cache-keys';
import {
  type CacheMetrics,
  type InvalidationOutcome,
  type InvalidationPath,
  noopCacheMetrics,
} from './cache-metrics';
import { CacheStore } from './cache-store';
import { checkDurations } from './entity-cache.options';

/** Where an invalidation came from and when its write happened. */
export interface InvalidationContext {
  /** The metric label. @default 'event' for CacheInvalidator, 'sync' for EntityCache */
  readonly path?: InvalidationPath | undefined;
  /** When the write happened (ISO-8601, e.g. an outbox timestamp): feeds the lag histogram. @default none */
  readonly occurredAt?: string | undefined;
}

/** What one invalidation needs; EntityCache and CacheInvalidator each build one. */
export interface InvalidationRunner {
  readonly store: CacheStore;
  readonly floorTtlMs: number;
  readonly budgetMs: number;
  readonly metrics: CacheMetrics;
  /** Wraps the Redis call (the cache gate, which fences when it fails). */
  readonly run: <T>(op: () => Promise<T>) => Promise<T>;
  /**
   * Told when an invalidation is not confirmed (it failed, or still runs past its budget and may land after
   * the caller answered): the cache fences its gate, so its own reads stop trusting the entry.
   */
  readonly onUnconfirmed: () => void;
}

/**
 * Version-aware invalidation of one id's entry with a deadline, counted by path and timed from the write.
 * Never fails on Redis: 'failed' tells the caller to fall back (an outbox, a retry job, staying fenced); it
 * throws only for a version that is not a non-negative integer (a bug in the caller).
 */
export async function runInvalidation(
  runner: InvalidationRunner,
  id: string,
  version: number,
  path: InvalidationPath,
  occurredAt: string | undefined,
): Promise<InvalidationOutcome> {
  const { store, floorTtlMs, budgetMs, run, metrics } = runner;
  if (!Number.isSafeInteger(version) || version < 0)
    throw new RangeError(`invalidation version must be a non-negative integer, got ${version}`);
  let outcome: InvalidationOutcome;
  try {
    outcome = await withDeadline(
      run(() => store.invalidate(id, version, floorTtlMs)),
      budgetMs,
    );
  } catch {
    outcome = 'failed';
    runner.onUnconfirmed();
  }
  metrics.invalidation(path, outcome);
  if (outcome !== 'failed' && occurredAt) {
    const lagMs = Date.now() - Date.parse(occurredAt);
    if (Number.isFinite(lagMs)) metrics.invalidationLag(path, Math.max(0, lagMs) / 1000);
  }
  return outcome;
}

/** Options of {@link CacheInvalidator}: the cache's name and key layout, and the invalidation settings. */
export interface CacheInvalidatorOptions {
  /** A Redis client of the cache (standalone or Cluster). Required. */
  readonly redis: RedisClient;
  /** The cache's name, as given to its EntityCache. Required. */
  readonly name: string;
  /** The cache's keyspace, as given to its EntityCache. @default new Keyspace({ service: 'cache' }) */
  readonly keyspace?: Keyspace | undefined;
  /** The cache's schema version, as given to its EntityCache. @default 1 */
  readonly schemaVersion?: number | undefined;
  /** Lifetime of the floor (tombstone) an invalidation leaves, in ms; as in the EntityCache. @default 30000 */
  readonly floorTtlMs?: number | undefined;
  /** Deadline of one invalidation, in ms; beyond it the outcome is 'failed' (the command may still land). @default 500 */
  readonly budgetMs?: number | undefined;
  /** @default no metrics */
  readonly metrics?: CacheMetrics | undefined;
}

/**
 * Invalidates a cache's entries from a process that does not read through it: an event consumer, a retry
 * job. Same scripts and guarantees as `EntityCache.invalidate` (version-aware, idempotent, never lowers
 * the floor), without a gate or an L1.
 */
export class CacheInvalidator {
  readonly #runner: InvalidationRunner;

  constructor(options: CacheInvalidatorOptions) {
    const floorTtlMs = options.floorTtlMs ?? 30_000;
    const budgetMs = options.budgetMs ?? 500;
    checkDurations('CacheInvalidator', { floorTtlMs, budgetMs });
    const keys = new CacheKeys(options);
    this.#runner = {
      store: new CacheStore(options.redis, keys, { maxReadBatch: 1 }),
      floorTtlMs,
      budgetMs,
      metrics: options.metrics ?? noopCacheMetrics,
      run: (op) => op(),
      onUnconfirmed: () => {},
    };
  }

  /**
   * Invalidates `id` for a write of `version` (0 = unconditionally, without raising the floor): deletes the
   * entry and any lease unless the entry already holds that version or newer. A Redis failure is the
   * outcome 'failed', never a rejection.
   */
  invalidate(id: string, version: number, context: InvalidationContext = {}): Promise<InvalidationOutcome> {
    return runInvalidation(this.#runner, id, version, context.path ?? 'event', context.occurredAt);
  }
}
