import type { Request, Response } from 'express';
import type { AppError } from './app-error';
import { ensureRequestId } from './request-id.middleware';

/** The RFC 9457 body redwire sends for every error (docs/api.md), plus any extension members. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  /** The request id. */
  readonly instance: string;
  readonly [extension: string]: unknown;
}

/** Builds the problem body of `err` for the request `instance`. Extensions never override the core members. */
export function toProblem(err: AppError, instance: string): ProblemBody {
  const body: Record<string, unknown> = {
    type: err.type,
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    instance,
  };
  for (const [key, value] of Object.entries(err.extensions)) {
    // Own-property test: `in` would also see Object.prototype's members and drop an extension named so.
    if (!Object.hasOwn(body, key)) body[key] = value;
  }
  return body as ProblemBody;
}

/** Headers a handler may have set for the success response it never sent. */
const STALE_HEADERS = ['etag', 'last-modified', 'content-encoding', 'content-disposition', 'content-range'];

/**
 * Writes `err` as `application/problem+json`. The error middleware is the one caller inside Express; use
 * this directly only where no `next` exists (e.g. a proxy's error callback). If the response has already
 * started, the connection is destroyed so the client sees a truncated response rather than a wrong one;
 * if it is already complete, nothing happens.
 */
export function sendProblem(req: Request, res: Response, err: AppError): void {
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const instance = ensureRequestId(req, res);
  const payload = JSON.stringify(toProblem(err, instance));
  for (const name of STALE_HEADERS) res.removeHeader(name);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.statusCode = err.status;
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.setHeader('Cache-Control', 'no-store');
  res.end(payload);
}
