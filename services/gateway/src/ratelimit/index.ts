export { createGatewayRateLimiter, type GatewayRateLimiterOptions } from './gateway-rate-limiter';
export { gatewayPolicySchema, type PolicyInput, type PolicySpec, policyFileSchema } from './policy.schema';
export { PolicySet, type RequestFacts } from './policy-set';
