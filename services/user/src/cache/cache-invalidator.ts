import { withDeadline } from '@redwire/redis-kit';
import { type InvalidationPath, noopCacheMetrics, type UserCacheMetrics } from './cache.metrics';
import type { UserCacheStore } from './user-cache.store';

/** What an invalidation reports: applied, not needed (the entry is already newer), or not done. */
export type InvalidationOutcome = 'invalidated' | 'skipped' | 'failed';

/** Options of {@link CacheInvalidator}. */
export interface CacheInvalidatorOptions {
  readonly store: UserCacheStore;
  /** Lifetime of the floor (tombstone) an invalidation leaves, in ms. */
  readonly floorTtlMs: number;
  /** Deadline of one invalidation, in ms; beyond it the outcome is 'failed' (the command may still land). */
  readonly budgetMs: number;
  /** Wraps the Redis call (the API's cache gate); @default runs it as is */
  readonly run?: <T>(op: () => Promise<T>) => Promise<T>;
  /** @default no metrics */
  readonly metrics?: UserCacheMetrics;
  /**
   * Called when an invalidation is not confirmed (it failed, or is still running past its budget and may
   * land after the caller answered). The API fences its cache gate: its own next reads must not trust
   * the entry until the recovery sweep re-applied it. @default nothing
   */
  readonly onUnconfirmed?: () => void;
}

/**
 * Version-aware invalidation of one user's L2 entry with a deadline, counted by path and timed from the
 * write's commit. Shared by the synchronous path, the event consumer, the retry job and the recovery sweep.
 * Never throws: 'failed' tells the caller to fall back (outbox, retry job, staying fenced).
 */
export class CacheInvalidator {
  readonly #o: Required<CacheInvalidatorOptions>;

  constructor(options: CacheInvalidatorOptions) {
    if (!Number.isSafeInteger(options.floorTtlMs) || options.floorTtlMs < 1)
      throw new RangeError('floorTtlMs must be ≥ 1');
    if (!Number.isSafeInteger(options.budgetMs) || options.budgetMs < 1)
      throw new RangeError('budgetMs must be ≥ 1');
    this.#o = { run: (op) => op(), metrics: noopCacheMetrics, onUnconfirmed: () => {}, ...options };
  }

  /**
   * Invalidates `id` for a write of `version` (0 = unconditionally, without raising the floor).
   * `occurredAt` (the outbox timestamp) feeds the lag histogram.
   */
  async invalidate(
    id: string,
    version: number,
    context: { path: InvalidationPath; occurredAt?: string | undefined },
  ): Promise<InvalidationOutcome> {
    const { store, floorTtlMs, budgetMs, run, metrics } = this.#o;
    let outcome: InvalidationOutcome;
    try {
      outcome = await withDeadline(
        run(() => store.invalidate(id, version, floorTtlMs)),
        budgetMs,
      );
    } catch {
      outcome = 'failed';
      this.#o.onUnconfirmed();
    }
    metrics.invalidation(context.path, outcome);
    if (outcome !== 'failed' && context.occurredAt) {
      const lagMs = Date.now() - Date.parse(context.occurredAt);
      if (Number.isFinite(lagMs)) metrics.invalidationLag(context.path, Math.max(0, lagMs) / 1000);
    }
    return outcome;
  }
}
