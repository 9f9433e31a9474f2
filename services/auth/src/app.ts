import {
  errorHandler,
  errors,
  healthzHandler,
  notFoundHandler,
  type ReadinessCheck,
  readinessHandler,
  requestDeadline,
  requestId,
  useStrictRouting,
} from '@redwire/http-kit';
import { httpLogger, type Logger, type Metrics } from '@redwire/observability';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import { isRedisUnreachableError } from '@redwire/redis-kit';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { type AuthRoutesDeps, authRoutes } from './routes/auth.routes';

/** Everything the HTTP app needs, built by the runtime (or a test) and injected. */
export interface AppDeps extends AuthRoutesDeps {
  logger: Logger;
  metrics: Metrics;
  /** `/readyz` checks (redis, postgres). */
  readiness: Readonly<Record<string, ReadinessCheck>>;
  /** Express `trust proxy` (whose X-Forwarded-For gives the client ip). */
  trustProxy: string;
  /** REQUEST_BUDGET: each API request's deadline for its dependency work (hashing included). */
  requestBudgetMs: number;
  /** Reports not-ready while draining. @default () => false */
  isShuttingDown?: () => boolean;
}

/**
 * docs/design.md failure policy: PostgreSQL down → logins and account changes 503; Redis down → 503 (auth fails
 * closed, it never answers as if a session were valid). Never a 500.
 */
const dependencyErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (err instanceof DatabaseUnavailableError || isRedisUnreachableError(err)) {
    next(errors.E_UNAVAILABLE(undefined, { cause: err, retryAfterSeconds: 1 }));
    return;
  }
  next(err);
};

/** Builds the auth service's Express app. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  useStrictRouting(app);
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  app.use(deps.metrics.httpMetrics);
  app.use(requestId());
  app.use(httpLogger({ logger: deps.logger }));

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
  // Auth responses may carry a token or say who is signed in: never stored by any cache (OWASP SM).
  app.use('/auth', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  app.use(authRoutes(deps));

  app.use(notFoundHandler());
  app.use(dependencyErrors);
  app.use(errorHandler({ logger: deps.logger }));
  return app;
}
