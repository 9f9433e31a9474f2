/** `X-Cache` values (API.md) and the `result` label of the cache request counter. */
export type CacheResult = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/** Which layer answered. */
export type CacheTier = 'l1' | 'l2';

/** The `result` label of a lookup (`error`: Redis failed and the read went around the cache). */
export type CacheLookupResult = 'hit' | 'miss' | 'stale' | 'bypass' | 'error';

/** Where an invalidation came from. */
export type InvalidationPath = 'sync' | 'event' | 'job' | 'sweep';

/** What the cache reports; main.ts binds it to Prometheus, tests count calls. */
export interface UserCacheMetrics {
  /** One read answered (`error`: Redis failed and the read went around the cache). */
  request(tier: CacheTier, result: CacheLookupResult): void;
  fill(outcome: 'stored' | 'lease_lost' | 'version_rejected'): void;
  invalidation(path: InvalidationPath, outcome: 'invalidated' | 'skipped' | 'failed'): void;
  /** Seconds from the write's commit (its outbox timestamp) to the invalidation being applied. */
  invalidationLag(path: InvalidationPath, seconds: number): void;
}

/** Metrics that go nowhere (the default in tests that do not look at them). */
export const noopCacheMetrics: UserCacheMetrics = {
  request: () => {},
  fill: () => {},
  invalidation: () => {},
  invalidationLag: () => {},
};
