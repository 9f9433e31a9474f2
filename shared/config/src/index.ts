export { ConfigError, type ConfigIssue } from './config-error';
export { type DeepReadonly, deepFreeze } from './deep-freeze';
export { env, type UrlOptions } from './env-schemas';
export { type Env, loadConfig } from './load-config';
export {
  ALLOW_DEV_SECRETS,
  assertNoDevSecrets,
  DEV_SECRET_MARKER,
  type DevSecretGuardOptions,
  refuseDevSecrets,
  runModeEnv,
} from './production-guard';
export {
  requireOneStateRedis,
  type StateRedisSettings,
  type StateRedisTarget,
  stateRedisEnv,
  stateRedisTarget,
} from './state-redis-env';
