import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { RequestHandler } from 'express';
import { ATTR } from '../tracing/semantic-names';

/** The header http-kit's `requestId()` middleware sets on the response (and echoes from the request). */
export const REQUEST_ID_HEADER = 'x-request-id';

// The store holds a lookup, not the id: the request-id middleware may run after this one, and the
// response header it sets is the authoritative (sanitised) value.
type RequestIdLookup = () => string | undefined;

const storage = new AsyncLocalStorage<RequestIdLookup>();

// Same rule as http-kit's requestId(): an unvetted client header is only used if it is short and plain.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function headerValue(value: number | string | readonly string[] | undefined): string | undefined {
  if (typeof value === 'string') return value || undefined;
  if (Array.isArray(value)) return value[0] || undefined;
  return undefined;
}

function lookupFor(req: IncomingMessage, res: ServerResponse): RequestIdLookup {
  let cached: string | undefined;
  return () => {
    if (cached !== undefined) return cached;
    const fromResponse = headerValue(res.getHeader(REQUEST_ID_HEADER));
    if (fromResponse !== undefined) {
      cached = fromResponse;
      return cached;
    }
    const fromRequest = headerValue(req.headers[REQUEST_ID_HEADER]);
    return fromRequest !== undefined && SANE_REQUEST_ID.test(fromRequest) ? fromRequest : undefined;
  };
}

/**
 * Binds the current request to everything that runs on its behalf (AsyncLocalStorage), so every log
 * line written while serving it carries `request_id`, and tags the active (server) span with
 * `redwire.request.id`. The id is read from the `X-Request-Id` response header set by http-kit's
 * `requestId()` middleware, falling back to a sane request header until that runs; mount `requestId()`
 * first so the span gets the id too.
 */
export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const lookup = lookupFor(req, res);
    const id = headerValue(res.getHeader(REQUEST_ID_HEADER));
    if (id !== undefined) trace.getActiveSpan()?.setAttribute(ATTR.REQUEST_ID, id);
    storage.run(lookup, next);
  };
}

/** The request id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.();
}

/**
 * Runs `fn` with `requestId` as the current request id: for work done on behalf of a request outside
 * Express (a job or event that carries the originating request id).
 */
export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return storage.run(() => requestId, fn);
}
