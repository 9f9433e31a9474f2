// The cache
export {
  type CacheEnvelope,
  InvalidCacheValueError,
  type ValueCheck,
  type ValueGuard,
} from './cache-envelope';
// Invalidating from other processes (event consumers, retry jobs)
export {
  CacheInvalidator,
  type CacheInvalidatorOptions,
  type InvalidationContext,
} from './cache-invalidator';
export { type CacheKeySet, CacheKeys, type CacheKeysOptions } from './cache-keys';
// Metrics
export {
  type CacheGateState,
  type CacheLookupResult,
  type CacheMetrics,
  type CacheMetricsOptions,
  type CacheStatus,
  type CacheTier,
  createCacheMetrics,
  type FillOutcome,
  type InvalidationOutcome,
  type InvalidationPath,
  noopCacheMetrics,
} from './cache-metrics';
export { type CacheRead, type CommittedWrite, EntityCache } from './entity-cache';
export type {
  CacheBreakerOptions,
  EntityCacheOptions,
  L1FanoutSource,
  L1Options,
  Loaded,
  RecentWrite,
  ResolvedEntityCacheOptions,
} from './entity-cache.options';
