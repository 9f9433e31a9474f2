import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { DEGRADED_HEADER, DEGRADED_SESSIONS } from '@redwire/contracts';
import {
  type AppError,
  errors,
  type IdentitySigner,
  isAppError,
  isSaneRequestId,
  sendProblem,
} from '@redwire/http-kit';
import { type RateLimiter, rateLimitHeaders } from '@redwire/ratelimit';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiDocs } from '../docs/api-docs';
import type { Authenticator } from '../identity/authenticator';
import type { ClientIpResolver } from '../identity/client-ip-resolver';
import type { SameOriginCheck } from '../identity/same-origin-check';
import { readRequestBody } from '../proxy/request-body';
import { type FramingOptions, inspectFraming } from '../proxy/request-framing';
import type { ReverseProxy } from '../proxy/reverse-proxy';
import type { PolicySet } from '../ratelimit';
import type { ClientBounds } from './client-bounds';
import type { RouteTable } from './routes';

/** Everything the public handler needs, built by the composition root (main.ts) or a test. */
export interface GatewayHandlerDeps {
  readonly routes: RouteTable;
  /** `/openapi.json`, `/docs` and its assets: answered by the gateway itself, after the rate-limit decision. */
  readonly docs: ApiDocs;
  readonly clientIp: ClientIpResolver;
  readonly authenticator: Authenticator;
  readonly sameOrigin: SameOriginCheck;
  readonly policies: PolicySet;
  readonly limiter: RateLimiter;
  readonly signer: IdentitySigner;
  readonly proxy: ReverseProxy;
  /** Per-client bounds on connections, requests in flight and uploads. */
  readonly bounds: ClientBounds;
  /** What the framing check refuses: header count, body size by Content-Length. */
  readonly framing: FramingOptions;
  /** Deadline for reading a request body (then 408). */
  readonly bodyReadTimeoutMs: number;
  /** Access log, metrics and the like; they run first, in order, with Express-compatible signatures. @default [] */
  readonly middleware?: readonly RequestHandler[];
  /** Receives errors that are not AppErrors (bugs); the client gets a generic 500. @default ignore */
  readonly onUnexpectedError?: (error: unknown) => void;
  /** Receives every 5xx answer's error, when no access log records it. @default ignore */
  readonly onServerError?: (error: AppError) => void;
}

type Res = ServerResponse & { locals?: Record<string, unknown>; err?: unknown };

const pathOf = (url: string | undefined) => {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q === -1 ? raw : raw.slice(0, q);
};

/**
 * The gateway's public request listener: plain node:http, no Express on the proxied path (it measured at
 * about half the throughput of a bare handler here; see the README). Per request: request id, the framing
 * check (400/413/431 and close), client IP, CSRF check for cookie-authenticated writes, session check (one
 * Redis round trip), one rate-limit decision over every applicable policy (one more), the per-client
 * in-flight bound, the body read whole (upload bound, size, deadline), then the proxy with a signed
 * identity and a Content-Length the gateway computed.
 */
export function createGatewayHandler(deps: GatewayHandlerDeps): RequestListener {
  const middleware = deps.middleware ?? [];
  const fail = (req: IncomingMessage, res: Res, error: unknown) => {
    if (!isAppError(error)) deps.onUnexpectedError?.(error);
    const appError = isAppError(error) ? error : errors.E_INTERNAL(error);
    if (appError.status >= 500) {
      res.err = appError;
      deps.onServerError?.(appError);
    }
    // An answer before the body was read: close rather than leave the rest of it to Node to drain.
    if (!req.complete && !res.headersSent) res.setHeader('Connection', 'close');
    sendProblem(req as Request, res as unknown as Response, appError);
  };
  return (req, res: Res) => {
    const incoming = req.headers['x-request-id'];
    const requestId = isSaneRequestId(incoming) ? incoming : randomUUID();
    // http-kit's sendProblem and the access log read the id from res.locals, as they do under Express.
    res.locals = { requestId };
    (req as IncomingMessage & { id?: string }).id = requestId;
    res.setHeader('X-Request-Id', requestId);
    let i = 0;
    const next = (error?: unknown) => {
      if (error) return fail(req, res, error);
      const layer = middleware[i++];
      if (layer) return void layer(req as Request, res as unknown as Response, next);
      handle(deps, req, res, requestId).catch((e: unknown) => fail(req, res, e));
    };
    next();
  };
}

async function handle(
  deps: GatewayHandlerDeps,
  req: IncomingMessage,
  res: Res,
  requestId: string,
): Promise<void> {
  // First, before any other header is believed: the framing this request arrived with.
  const framing = inspectFraming(req, deps.framing);
  if (isAppError(framing)) throw framing;
  const connectionRefusal = deps.bounds.connectionRefusal(req.socket);
  if (connectionRefusal) throw connectionRefusal;
  const method = req.method ?? 'GET';
  const path = pathOf(req.url);
  if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(method === 'HEAD' ? undefined : '{"status":"ok"}');
    return;
  }
  const route = deps.routes.match(path);
  const local = route ? undefined : deps.docs.match(method, path);
  // The access log and the HTTP metrics label requests by `req.route.path`, as Express sets it.
  const label = route?.label ?? local?.label;
  if (label) (req as IncomingMessage & { route?: { path: string } }).route = { path: label };
  const address = deps.clientIp.resolve(req.socket.remoteAddress, header(req, 'x-forwarded-for'));
  const proto =
    (address.viaTrustedProxy && header(req, 'x-forwarded-proto')?.split(',')[0]?.trim()) || 'http';
  const host = (address.viaTrustedProxy && header(req, 'x-forwarded-host')) || req.headers.host;

  // Before the session check: a cross-site forgery costs no Redis call.
  if (deps.authenticator.tokenSource(req.headers) === 'cookie') {
    if (!deps.sameOrigin.passes(method, req.headers, host ? `${proto}://${host}` : undefined))
      throw errors.E_CSRF();
  }
  const principal = await deps.authenticator.authenticate(req.headers, method);
  const user = principal.kind === 'user' ? principal.identity : undefined;
  // Every answer to a request served on a last-known-good session says so (README "Degraded sessions").
  const degraded = principal.kind === 'user' && principal.degraded === true;
  if (degraded) res.setHeader(DEGRADED_HEADER, DEGRADED_SESSIONS);

  const decision = await deps.limiter.limit(
    deps.policies.keysFor({
      method,
      path,
      ipKey: address.key,
      user: user && { id: user.sub, tier: user.tier },
    }),
  );
  const limitHeaders = rateLimitHeaders(decision) as Record<string, string>;
  if (decision.outcome !== 'allowed') throw refusal(decision.outcome, decision.violated, limitHeaders);
  for (const name in limitHeaders) res.setHeader(name, limitHeaders[name] as string);

  // The docs are public: a stale cookie in the browser must not hide them.
  if (principal.kind === 'anonymous' && principal.rejected && !route?.anonymousOnInvalidToken && !local) {
    throw errors.E_UNAUTHENTICATED('The session is invalid, expired or revoked.');
  }
  if (local) return local.serve(req, res);
  if (!route) throw errors.E_NOT_FOUND();

  // A client that left while its session or limit was being checked (a slow Redis, its own timeout) is
  // not served: its response closed already, and a 'close' listener added now would never run.
  if (res.closed) return;
  // Held until the answer is sent: a client cannot occupy more of the upstream pools than its bound.
  const clientKey = user ? `u:${user.sub}` : `i:${address.key}`;
  const inFlight = deps.bounds.acquireInFlight(clientKey);
  if (isAppError(inFlight)) throw inFlight;
  res.once('close', inFlight);
  let body: Buffer | undefined;
  if (framing.hasBody) {
    const upload = deps.bounds.acquireUpload(clientKey);
    if (isAppError(upload)) throw upload;
    try {
      body = await readRequestBody(req, {
        maxBytes: deps.framing.maxBodyBytes,
        deadlineMs: deps.bodyReadTimeoutMs,
      });
    } finally {
      upload();
    }
  }
  if (res.destroyed) return;

  const upstreamHeaders: Record<string, string> = {};
  if (user) upstreamHeaders['x-redwire-identity'] = await deps.signer.sign(user, route.upstream.name);
  upstreamHeaders['x-forwarded-proto'] = proto;
  if (host) upstreamHeaders['x-forwarded-host'] = host;
  deps.proxy.forward(req, res, route.upstream, {
    requestId,
    forwardedFor: address.forwardedFor,
    body,
    connectionListed: framing.connectionListed,
    upstreamHeaders,
    responseHeaders: {
      'X-Request-Id': requestId,
      ...limitHeaders,
      ...(degraded ? { [DEGRADED_HEADER]: DEGRADED_SESSIONS } : {}),
    },
    onError: (error) => {
      res.err = error;
      deps.onServerError?.(error);
      sendProblem(req as Request, res as unknown as Response, error);
    },
  });
}

function refusal(
  outcome: 'limited' | 'unavailable',
  violated: readonly string[],
  headers: Record<string, string>,
): AppError {
  const { 'Retry-After': retryAfter, ...rest } = headers;
  if (outcome === 'unavailable') {
    return errors.E_UNAVAILABLE('Rate limiting is unavailable and this route refuses unchecked traffic.', {
      reducedCapacity: true,
      violatedPolicies: violated,
      retryAfterSeconds: 1,
      headers: rest,
    });
  }
  // An unsatisfiable request (cost above a burst) has no Retry-After; config validation rules it out.
  return errors.E_RATE_LIMITED({
    violatedPolicies: violated,
    retryAfterSeconds: Number(retryAfter ?? 1),
    headers: rest,
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
