import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

/** Header carrying the request id in both directions. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A client-sent id is echoed only if it is 1–128 characters of `[A-Za-z0-9._:-]`, so it is safe in logs. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Options of {@link requestId}. */
export interface RequestIdOptions {
  /**
   * Generates an id when the client sent none or an insane one.
   * @default crypto.randomUUID (v4)
   */
  readonly generate?: () => string;
}

/** True when `value` may be echoed as a request id. */
export function isSaneRequestId(value: unknown): value is string {
  return typeof value === 'string' && SANE_REQUEST_ID.test(value);
}

/**
 * Assigns every request an id: the client's `X-Request-Id` when sane, else a fresh UUID. The id is sent
 * back in `X-Request-Id`, stored in `res.locals.requestId` (read it with {@link getRequestId}), and also set
 * as `req.id`, which pino-http uses as the log line's `reqId` when it runs after this middleware.
 * Mount it first.
 */
export function requestId(options: RequestIdOptions = {}): RequestHandler {
  const generate = options.generate ?? randomUUID;
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    assignRequestId(req, res, isSaneRequestId(incoming) ? incoming : generate());
    next();
  };
}

/** The id {@link requestId} assigned, or `undefined` if it did not run. */
export function getRequestId(res: Response): string | undefined {
  const id: unknown = res.locals.requestId;
  return typeof id === 'string' ? id : undefined;
}

/** The request id, assigning a fresh one if the middleware did not run (errors raised before it). */
export function ensureRequestId(req: Request, res: Response): string {
  return getRequestId(res) ?? assignRequestId(req, res, randomUUID());
}

function assignRequestId(req: Request, res: Response, id: string): string {
  res.locals.requestId = id;
  (req as Request & { id?: unknown }).id = id;
  if (!res.headersSent) res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
