import { createServiceApp, errors, type ReadinessCheck } from '@redwire/http-kit';
import { httpLogger, type Logger, type Metrics } from '@redwire/observability';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import { isRedisUnavailableError } from '@redwire/redis-kit';
import type { Express } from 'express';
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
  /** True once shutdown started (the shutdown handle's): `/readyz` answers 503 draining. */
  isShuttingDown: () => boolean;
}

/**
 * docs/design.md failure policy: PostgreSQL down → logins and account changes 503; Redis down → 503 (auth fails
 * closed, it never answers as if a session were valid). Never a 500.
 */
function dependencyError(err: unknown) {
  return err instanceof DatabaseUnavailableError || isRedisUnavailableError(err)
    ? errors.E_UNAVAILABLE(undefined, { cause: err, retryAfterSeconds: 1 })
    : undefined;
}

/** Builds the auth service's Express app. */
export function createApp(deps: AppDeps): Express {
  return createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness,
    isShuttingDown: deps.isShuttingDown,
    metrics: deps.metrics,
    middleware: [httpLogger({ logger: deps.logger })],
    configure: (app) => app.set('trust proxy', deps.trustProxy),
    requestBudgetMs: deps.requestBudgetMs,
    routes: (app) => {
      // Auth responses may carry a token or say who is signed in: never stored by any cache (OWASP SM).
      app.use('/auth', (_req, res, next) => {
        res.set('Cache-Control', 'no-store');
        next();
      });
      app.use(authRoutes(deps));
    },
    mapError: dependencyError,
  });
}
