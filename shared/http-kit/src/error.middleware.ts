import { isRequestDeadlineExceeded } from '@redwire/deadline';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError } from './app-error';
import { errors } from './errors';
import type { Logger } from './logger';
import { sendProblem } from './problem';
import { DEADLINE_DETAIL } from './request-deadline.middleware';
import { ensureRequestId } from './request-id.middleware';

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Receives every 5xx with its cause (pino-compatible). */
  readonly logger: Logger;
}

/** The shape of errors created by `http-errors`, which body-parser and the Express router throw. */
interface HttpErrorLike {
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly expose?: unknown;
  readonly type?: unknown;
}

/**
 * Maps anything thrown to an {@link AppError}. Client errors raised by body-parser and the router keep
 * their 4xx meaning but lose their cause: body-parser attaches the raw body (passwords included) and the
 * JSON parser quotes it, so none of it may reach a log. A spent request deadline is a 503 `E_UNAVAILABLE`
 * with `Retry-After`. Anything unrecognised is a 500 `E_INTERNAL`.
 */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (typeof err !== 'object' || err === null) return errors.E_INTERNAL(err);
  // The request's budget ran out (see requestDeadline): a dependency was too slow, not a bug.
  if (isRequestDeadlineExceeded(err)) {
    return errors.E_UNAVAILABLE(DEADLINE_DETAIL, { cause: err, retryAfterSeconds: 1 });
  }
  const e = err as HttpErrorLike;
  switch (e.type) {
    case 'entity.too.large':
      return errors.E_PAYLOAD_TOO_LARGE();
    case 'entity.parse.failed':
      return errors.E_MALFORMED_JSON();
    case 'request.aborted':
    case 'request.size.invalid':
      return errors.E_MALFORMED_JSON('The request body was incomplete.');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return errors.E_UNSUPPORTED_MEDIA_TYPE();
  }
  // The router marks undecodable path parameters (`/users/%E0%A4%A`) as a URIError with status 400.
  if (err instanceof URIError && e.status === 400) return errors.E_VALIDATION({}, 'The URL is malformed.');
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  // Only http-errors' client errors (expose: true) are trusted: a 404 from an upstream client library
  // thrown through here must not become our 404.
  if (e.expose === true && typeof status === 'number' && status >= 400 && status < 500) {
    switch (status) {
      case 401:
        return errors.E_UNAUTHENTICATED();
      case 403:
        return errors.E_FORBIDDEN();
      case 404:
        return errors.E_NOT_FOUND();
      case 413:
        return errors.E_PAYLOAD_TOO_LARGE();
      case 415:
        return errors.E_UNSUPPORTED_MEDIA_TYPE();
      default:
        return errors.E_VALIDATION();
    }
  }
  return errors.E_INTERNAL(err);
}

/**
 * The one Express error middleware: writes every error as `application/problem+json` with
 * `instance` = request id, logs 5xx with their cause, and sets `res.err` so pino-http (which cannot see
 * errors Express 5 routes to error middleware) logs the failure on the request line. `res.err` is the
 * normalised {@link AppError}, never the raw error, for the reason given in {@link toAppError}. Mount last.
 */
export function errorHandler(options: ErrorHandlerOptions): ErrorRequestHandler {
  const { logger } = options;
  return (err: unknown, req, res, _next) => {
    // Already answered (the deadline backstop did, and the handler failed afterwards): nothing to send.
    if (res.writableEnded) return;
    const appError = toAppError(err);
    (res as Response & { err?: unknown }).err = appError;
    if (appError.status >= 500) {
      logger.error(
        { err: appError, code: appError.code, status: appError.status, reqId: ensureRequestId(req, res) },
        `request failed: ${appError.code}`,
      );
    }
    sendProblem(req, res, appError);
  };
}

/** Final non-error middleware: any request no route answered is a 404 `E_NOT_FOUND`. */
export function notFoundHandler(): RequestHandler {
  return (_req, _res, next) => next(errors.E_NOT_FOUND());
}
