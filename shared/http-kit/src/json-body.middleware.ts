import type { Request, RequestHandler } from 'express';
import express from 'express';
import { errors } from './errors';

/** docs/api.md's body limit. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** Options of {@link jsonBody}. */
export interface JsonBodyOptions {
  /**
   * Largest accepted body in bytes; one byte more is a 413.
   * @default 65536 (64 KiB, docs/api.md)
   */
  readonly limitBytes?: number;
}

/** A request has a body when it is chunked or declares a non-zero length (an empty POST has none). */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0';
}

/**
 * Parses JSON request bodies per docs/api.md: a body must be `application/json` (UTF-8, not compressed) or the
 * request fails with 415; more than `limitBytes` is a 413; JSON that does not parse, or whose top level is
 * not an object or array, is a 400 `E_MALFORMED_JSON`. Requests without a body pass with `req.body`
 * undefined. Errors go to the error middleware.
 *
 * Compressed bodies are refused rather than inflated: no client of ours compresses, and refusing removes
 * decompression from the attack surface.
 */
export function jsonBody(options: JsonBodyOptions = {}): RequestHandler {
  const limit = options.limitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError('jsonBody: limitBytes must be a positive integer');
  const parse = express.json({ limit, strict: true, inflate: false, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    if (!req.is('application/json')) {
      next(errors.E_UNSUPPORTED_MEDIA_TYPE());
      return;
    }
    parse(req, res, next);
  };
}
