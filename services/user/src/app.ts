import { createServiceApp, errors, type IdentityVerifier, type ReadinessCheck } from '@redwire/http-kit';
import { httpLogger, type Logger, type Metrics, requestContext } from '@redwire/observability';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import type { Express } from 'express';
import { internalUserRoutes, userRoutes } from './users/user.routes';
import type { UserService } from './users/user.service';

/** Everything the HTTP app needs, built by main.ts (or a test) and injected. */
export interface AppDeps {
  readonly service: UserService;
  readonly verifier: IdentityVerifier;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** `/readyz` checks (redis, postgres). */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /** REQUEST_BUDGET: each API request's deadline for its dependency work. */
  readonly requestBudgetMs: number;
  /** True once shutdown started (the shutdown handle's): `/readyz` answers 503 draining. */
  readonly isShuttingDown: () => boolean;
}

/** PostgreSQL being down (or too slow for the request's deadline) is a 503 with Retry-After, never a 500. */
function dependencyError(err: unknown) {
  return err instanceof DatabaseUnavailableError
    ? errors.E_UNAVAILABLE(undefined, { cause: err, retryAfterSeconds: 1 })
    : undefined;
}

/** Builds the user service's Express app. */
export function createApp(deps: AppDeps): Express {
  return createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness,
    isShuttingDown: deps.isShuttingDown,
    metrics: deps.metrics,
    // Access lines are written at info; above it, keep only the request context (request ids in error
    // lines) and skip pino-http's per-request work (measurable on the hit path).
    middleware: [deps.logger.isLevelEnabled('info') ? httpLogger({ logger: deps.logger }) : requestContext()],
    configure: (app) => app.set('query parser', 'simple'),
    requestBudgetMs: deps.requestBudgetMs,
    routes: (app) => {
      app.use(userRoutes(deps.service, deps.verifier));
      app.use(internalUserRoutes(deps.service, deps.verifier));
    },
    mapError: dependencyError,
  });
}
