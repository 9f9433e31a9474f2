import './express-locals';

export { ABOUT_BLANK, AppError, type AppErrorOptions, isAppError } from './app-error';
export { type ErrorHandlerOptions, errorHandler, notFoundHandler, toAppError } from './error.middleware';
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorInit,
  errors,
  type FieldErrors,
  QUOTA_EXCEEDED_TYPE,
  type RateLimitedInit,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
  type UnavailableInit,
} from './errors';
export {
  type CheckReport,
  type CheckResult,
  type HealthStatus,
  healthzHandler,
  type ReadinessBody,
  type ReadinessCheck,
  type ReadinessOptions,
  readinessHandler,
  runReadiness,
} from './health.routes';
export { type RunningHttpServer, type StartHttpServerOptions, startHttpServer } from './http-server';
export {
  assertSelfOrAdmin,
  getIdentity,
  optionalIdentity,
  type RequireServiceIdentityOptions,
  requireIdentity,
  requireServiceIdentity,
} from './identity.middleware';
export {
  IDENTITY_HEADER,
  IDENTITY_TOKEN_TYPE,
  type Identity,
  identityClaimsSchema,
  SERVICE_NAMES,
  type ServiceIdentity,
  type ServiceName,
  serviceIdentity,
  type Tier,
  type UserIdentity,
  type VerifiedIdentity,
} from './identity.types';
export { deriveKey, type IdentityKey, KEY_LABELS, MIN_IDENTITY_KEY_BYTES } from './identity-key';
export { IdentitySigner, type IdentitySignerOptions, MAX_IDENTITY_TTL_SECONDS } from './identity-signer';
export { IdentityVerifier, type IdentityVerifierOptions } from './identity-verifier';
export { DEFAULT_BODY_LIMIT_BYTES, type JsonBodyOptions, jsonBody } from './json-body.middleware';
export { type LogFn, type Logger, silentLogger } from './logger';
export { parseWith, ROOT_FIELD, toFieldErrors } from './parse-with';
export { type ProblemBody, sendProblem, toProblem } from './problem';
export { DEADLINE_DETAIL, type RequestDeadlineOptions, requestDeadline } from './request-deadline.middleware';
export {
  ensureRequestId,
  getRequestId,
  isSaneRequestId,
  REQUEST_ID_HEADER,
  type RequestIdOptions,
  requestId,
} from './request-id.middleware';
export { ServerDrainer } from './server-drain';
export { createServiceApp, type ServiceAppOptions } from './service-app';
export { createShutdown, type Shutdown, type ShutdownOptions, type SignalSource } from './shutdown';
export { STRICT_ROUTING, strictRouter, useStrictRouting } from './strict-routing';
export {
  type Dependency,
  type WaitForDependenciesOptions,
  waitForDependencies,
} from './wait-for-dependencies';
