export type { AlgorithmName, CheckResult, CheckStatus } from './algorithms';
export { type PolicyInput, type PolicySpec, policyFileSchema } from './policy.schema';
export { type Policy, type PolicyCheck, PolicySet, type RequestFacts } from './policy-set';
export {
  type DecisionSource,
  type PolicyVerdict,
  type RateLimitDecision,
  RateLimiter,
  type RateLimiterOptions,
} from './rate-limiter';
export { type RateLimitHeaders, rateLimitHeaders } from './ratelimit.headers';
export { RateLimitMetrics } from './ratelimit.metrics';
export {
  RateLimitStore,
  RateLimitStoreError,
  type RateLimitStoreOptions,
  type StoreDecision,
} from './ratelimit.store';
