import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { AppError } from './app-error';
import { errorHandler, notFoundHandler } from './error.middleware';
import { healthzHandler, type ReadinessCheck, readinessHandler } from './health.routes';
import type { Logger } from './logger';
import { requestDeadline } from './request-deadline.middleware';
import { requestId } from './request-id.middleware';
import { useStrictRouting } from './strict-routing';

/** Options of {@link createServiceApp}. */
export interface ServiceAppOptions {
  /** Failing readiness checks, unexpected errors, deadline overruns. Required. */
  readonly logger: Logger;
  /** `/readyz` checks (redis, postgres…); a non-critical one only degrades. Required. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  /**
   * True from the moment shutdown starts (the shutdown handle's `isShuttingDown`), so `/readyz` answers 503
   * `draining` while in-flight requests finish and load balancers stop routing here. Required.
   */
  readonly isShuttingDown: () => boolean;
  /** The `/metrics` handler, and request metrics (run first, so every answer is counted). @default none */
  readonly metrics?: { readonly httpMetrics?: RequestHandler; readonly metricsHandler: RequestHandler };
  /** Request-scoped middleware after the request id, in order (an access log). @default [] */
  readonly middleware?: readonly RequestHandler[];
  /** App settings, before anything is mounted (`trust proxy`, `query parser`). @default none */
  readonly configure?: (app: Express) => void;
  /** Each API request's deadline for its dependency work (`requestDeadline`); the probes have none. @default none */
  readonly requestBudgetMs?: number;
  /** Mounts the service's own routes, after the probes and the deadline. Required. */
  readonly routes: (app: Express) => void;
  /**
   * Turns a dependency failure into the AppError to answer (PostgreSQL or Redis unavailable → 503); `undefined`
   * leaves the error to the error handler (a 500 unless it is an AppError). @default none
   */
  readonly mapError?: (error: unknown) => AppError | undefined;
}

/**
 * Builds a service's Express app, the same way for every service: strict routing, no `x-powered-by`, no
 * ETag of Express's own, request metrics and request id, `/healthz`, `/readyz` (503 `draining` once shutdown
 * started), `/metrics`, the request deadline, the routes, 404, dependency-error mapping and the one error
 * middleware that writes problem+json.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const { logger } = options;
  const app = express();
  app.disable('x-powered-by');
  useStrictRouting(app);
  // Where a route has an ETag it is the row version, set explicitly; Express's body hash would contradict it.
  app.set('etag', false);
  options.configure?.(app);

  if (options.metrics?.httpMetrics) app.use(options.metrics.httpMetrics);
  app.use(requestId());
  for (const middleware of options.middleware ?? []) app.use(middleware);

  app.get('/healthz', healthzHandler());
  app.get(
    '/readyz',
    readinessHandler({ checks: options.readiness, logger, isShuttingDown: options.isShuttingDown }),
  );
  if (options.metrics) app.get('/metrics', options.metrics.metricsHandler);

  if (options.requestBudgetMs !== undefined) {
    app.use(requestDeadline({ budgetMs: options.requestBudgetMs, logger }));
  }
  options.routes(app);

  app.use(notFoundHandler());
  const { mapError } = options;
  if (mapError) {
    const mapped: ErrorRequestHandler = (error, _req, _res, next) => next(mapError(error) ?? error);
    app.use(mapped);
  }
  app.use(errorHandler({ logger }));
  return app;
}
