export type { AlgorithmName, CheckStatus } from './algorithms';
export {
  expressRateLimit,
  httpRateLimit,
  QUOTA_EXCEEDED_TYPE,
  type RateLimitHttpOptions,
  sendRateLimitProblem,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
} from './http-rate-limit';
export { MAX_POLICIES, type Policy, type PolicyOptions, policyListSchema, policySchema } from './policy';
export type { DecisionSource, PolicyResult, RateLimitDecision } from './rate-limit-decision';
export { type RateLimitHeaders, rateLimitHeaders } from './rate-limit-headers';
export { type LimitOptions, RateLimiter, type RateLimitKey } from './rate-limiter';
export type { RateLimiterBreakerOptions, RateLimiterOptions } from './rate-limiter.options';
