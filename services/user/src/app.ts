import {
  errorHandler,
  errors,
  healthzHandler,
  type IdentityVerifier,
  notFoundHandler,
  type ReadinessCheck,
  readinessHandler,
  requestDeadline,
  requestId,
  useStrictRouting,
} from '@redwire/http-kit';
import { httpLogger, type Logger, type Metrics, requestContext } from '@redwire/observability';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import express, { type ErrorRequestHandler, type Express } from 'express';
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
  /** Reports not-ready while draining. @default () => false */
  readonly isShuttingDown?: () => boolean;
}

/** PostgreSQL being down (or too slow for the request's deadline) is a 503 with Retry-After, never a 500. */
const dependencyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  next(
    err instanceof DatabaseUnavailableError
      ? errors.E_UNAVAILABLE(undefined, { cause: err, retryAfterSeconds: 1 })
      : err,
  );
};

/** Builds the user service's Express app. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  useStrictRouting(app);
  // ETags are the row version, set explicitly; Express's body hash would contradict them.
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(deps.metrics.httpMetrics);
  app.use(requestId());
  // Access lines are written at info; above it, keep only the request context (request ids in error
  // lines) and skip pino-http's per-request work (measurable on the hit path).
  app.use(deps.logger.isLevelEnabled('info') ? httpLogger({ logger: deps.logger }) : requestContext());

  app.get('/healthz', healthzHandler());
  app.get(
    '/readyz',
    readinessHandler({
      checks: deps.readiness,
      logger: deps.logger,
      ...(deps.isShuttingDown ? { isShuttingDown: deps.isShuttingDown } : {}),
    }),
  );
  app.get('/metrics', deps.metrics.metricsHandler);

  app.use(requestDeadline({ budgetMs: deps.requestBudgetMs, logger: deps.logger }));
  app.use(userRoutes(deps.service, deps.verifier));
  app.use(internalUserRoutes(deps.service, deps.verifier));

  app.use(notFoundHandler());
  app.use(dependencyErrors);
  app.use(errorHandler({ logger: deps.logger }));
  return app;
}
