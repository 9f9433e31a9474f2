import { RequestDeadline, runWithDeadline } from '@redwire/deadline';
import type { Request, RequestHandler, Response } from 'express';
import { errors } from './errors';
import type { Logger } from './logger';
import { sendProblem } from './problem';
import { ensureRequestId } from './request-id.middleware';

/** Options of {@link requestDeadline}. */
export interface RequestDeadlineOptions {
  /**
   * The budget of one request for all its dependency work (pool wait, every statement, Redis calls, calls
   * to other services), counted from when this middleware runs (the request's headers have arrived).
   * Required: each service states its own (`REQUEST_BUDGET`).
   */
  readonly budgetMs: number;
  /**
   * The backstop: a request nothing has answered `graceMs` after its budget gets 503 from here. The kits
   * stop their work at the budget, so this only fires for work that ignores the deadline (a bug: it is
   * logged). Budget + grace must stay within the 250 ms overrun allowed past the budget.
   * @default 150
   */
  readonly graceMs?: number;
  /** Logs a request the backstop had to answer. @default silent */
  readonly logger?: Logger;
}

/** Detail of the 503 a request gets when its budget ran out. */
export const DEADLINE_DETAIL = 'The request could not be completed in time; retry shortly.';

/**
 * Gives every request one deadline (`@redwire/deadline`) that postgres-kit, redis-kit and the services'
 * clients keep to through AsyncLocalStorage: work still waiting when it passes fails with
 * RequestDeadlineExceededError, which the error handler answers as 503 `E_UNAVAILABLE` with
 * `Retry-After`. Mount it after the health and metrics routes and before the API routes.
 */
export function requestDeadline(options: RequestDeadlineOptions): RequestHandler {
  const { budgetMs } = options;
  const graceMs = options.graceMs ?? 150;
  if (!Number.isInteger(budgetMs) || budgetMs < 1)
    throw new RangeError('budgetMs must be a positive integer');
  if (!Number.isInteger(graceMs) || graceMs < 0)
    throw new RangeError('graceMs must be a non-negative integer');
  return (req, res, next) => {
    const deadline = RequestDeadline.after(budgetMs);
    const backstop = setTimeout(() => answerLate(req, res, budgetMs, options.logger), budgetMs + graceMs);
    backstop.unref();
    res.once('close', () => clearTimeout(backstop));
    runWithDeadline(deadline, next);
  };
}

function answerLate(req: Request, res: Response, budgetMs: number, logger: Logger | undefined): void {
  if (res.headersSent) return;
  logger?.warn(
    { reqId: ensureRequestId(req, res), method: req.method, url: req.originalUrl, budgetMs },
    'request outlived its deadline; answered 503 by the backstop',
  );
  sendProblem(req, res, errors.E_UNAVAILABLE(DEADLINE_DETAIL, { retryAfterSeconds: 1 }));
}
