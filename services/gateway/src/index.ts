// The gateway's public surface: what other parts of the repository use in-process (the compose checks run
// the gateway and its limiter as the gateway's Redis user and check the k6 policy file; the chaos harness
// probes its built-in quotas). The process itself starts from main.ts.
export { type GatewayConfig, loadGatewayConfig } from './config';
export {
  createGatewayRuntime,
  type GatewayRuntime,
  type GatewayRuntimeOverrides,
} from './gateway.runtime';
export {
  createGatewayRateLimiter,
  type GatewayRateLimiterOptions,
  type PolicyInput,
  PolicySet,
  type PolicySpec,
  type RequestFacts,
} from './ratelimit';
export { DEFAULT_POLICIES } from './ratelimit/default-policies';
