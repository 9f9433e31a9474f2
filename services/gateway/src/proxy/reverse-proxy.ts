import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { type AppError, errors } from '@redwire/http-kit';
import { endToEndHeaders } from './hop-by-hop';

/** One service behind the gateway. */
export interface Upstream {
  /** Service name; also the identity token's audience. */
  readonly name: 'user' | 'auth';
  /** Base URL, e.g. `http://127.0.0.1:8081`. Only the origin is used. */
  readonly url: string;
  /** Forward the client's `Cookie` and `Authorization` (auth needs them for logout and cookies). @default false */
  readonly forwardCredentials?: boolean;
}

/** Options of {@link ReverseProxy}. */
export interface ReverseProxyOptions {
  /** Deadline for the upstream's response headers, in ms; then 504. @default 10000 */
  readonly responseTimeoutMs?: number;
  /** Deadline for the TCP connect, in ms; then 502. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Upper bound on sockets per upstream. @default 256 */
  readonly maxSockets?: number;
  /** Idle keep-alive sockets kept per upstream. @default 64 */
  readonly maxFreeSockets?: number;
  /**
   * Idle sockets are closed after this long; keep it below the upstream's keep-alive timeout (Node's
   * default 5 s) so the gateway, not the upstream, closes them. @default 4000
   */
  readonly idleSocketTimeoutMs?: number;
}

/** What the gateway adds to a proxied request. */
export interface ForwardContext {
  readonly requestId: string;
  /** The X-Forwarded-For chain the gateway vouches for. */
  readonly forwardedFor: string;
  /** Headers to set upstream (e.g. X-Redwire-Identity); they replace any client-sent copy. */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /** Headers to add to the response (rate-limit fields, X-Request-Id). */
  readonly responseHeaders?: Readonly<Record<string, string>>;
  /** The request body, read whole by the gateway; sent with a Content-Length computed here. @default none */
  readonly body?: Buffer;
  /** Header names the client listed in `Connection` (from the framing check): never forwarded. */
  readonly connectionListed?: ReadonlySet<string>;
  /** Called instead of responding when the upstream fails before its headers arrive. */
  readonly onError: (error: AppError) => void;
}

/**
 * Client headers never forwarded: the gateway sets its own, and a client must not forge them. The framing
 * fields go too: the gateway frames the upstream request itself (and has already answered any Expect).
 */
const ALWAYS_DROPPED = [
  'host',
  'x-redwire-identity',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'forwarded',
  'content-length',
  'transfer-encoding',
  'expect',
];
const CREDENTIALS = ['cookie', 'authorization'];
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A reverse proxy on node:http with one keep-alive agent per upstream. The gateway owns the framing of
 * every upstream request: a body (already read whole by the gateway) goes with a Content-Length computed
 * here, never with the client's framing fields, so an upstream socket carries no byte the gateway did not
 * frame (Node's client sends a GET or DELETE body with no framing at all when no length is set). Responses
 * stream back; hop-by-hop fields are removed both ways; `X-Forwarded-*`, `X-Request-Id` and `traceparent`
 * go upstream; failures before the response starts become 502/504 problems, and any failure destroys the
 * upstream socket rather than returning it to the pool. A request is retried once only when a reused
 * keep-alive socket turns out to be closed and the request has no body.
 */
export class ReverseProxy {
  readonly #targets = new Map<string, Target>();
  readonly #responseTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #agentOptions: http.AgentOptions;
  readonly #drop: Map<boolean, ReadonlySet<string>>;

  constructor(options: ReverseProxyOptions = {}) {
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    for (const [name, value] of Object.entries({
      responseTimeoutMs: this.#responseTimeoutMs,
      connectTimeoutMs: this.#connectTimeoutMs,
    })) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
    }
    this.#agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 256,
      maxFreeSockets: options.maxFreeSockets ?? 64,
      timeout: options.idleSocketTimeoutMs ?? 4000,
      scheduling: 'lifo',
    };
    this.#drop = new Map([
      [true, new Set(ALWAYS_DROPPED)],
      [false, new Set([...ALWAYS_DROPPED, ...CREDENTIALS])],
    ]);
  }

  /** Streams `req` to `upstream` and the answer back to `res`. */
  forward(req: IncomingMessage, res: ServerResponse, upstream: Upstream, ctx: ForwardContext): void {
    // The client left before this (the caller awaited): nobody reads the answer, and the 'close' listener
    // that cancels the upstream request would never run.
    if (res.closed) return;
    const headers = endToEndHeaders(
      req.headers,
      this.#drop.get(upstream.forwardCredentials === true) as ReadonlySet<string>,
      ctx.connectionListed ?? EMPTY,
    );
    headers['x-forwarded-for'] = ctx.forwardedFor;
    headers['x-forwarded-proto'] = 'http';
    if (req.headers.host) headers['x-forwarded-host'] = req.headers.host;
    headers['x-request-id'] = ctx.requestId;
    if (ctx.upstreamHeaders) Object.assign(headers, ctx.upstreamHeaders);
    if (ctx.body) headers['content-length'] = String(ctx.body.length);
    this.#send(req, res, upstream, ctx, headers, true);
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: Upstream,
    ctx: ForwardContext,
    headers: OutgoingHttpHeaders,
    mayRetry: boolean,
  ): void {
    const target = this.#target(upstream);
    let settled = false;
    const upstreamReq = http.request({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: target.agent,
    });
    const fail = (error: AppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      upstreamReq.destroy();
      if (res.headersSent) res.destroy();
      else ctx.onError(error);
    };
    const timer = setTimeout(() => fail(errors.E_UPSTREAM_TIMEOUT()), this.#responseTimeoutMs);
    upstreamReq.once('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(
        () => fail(errors.E_UPSTREAM(undefined, { cause: new Error('connect timeout') })),
        this.#connectTimeoutMs,
      );
      socket.once('connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    // `on`, not `once`: destroying a request can emit a second error, which must not go unhandled.
    upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      if (
        mayRetry &&
        !ctx.body &&
        upstreamReq.reusedSocket &&
        REPLAYABLE.has(req.method ?? '') &&
        error.code === 'ECONNRESET'
      ) {
        // The upstream closed an idle keep-alive socket as we reused it; nothing reached it.
        settled = true;
        clearTimeout(timer);
        this.#send(req, res, upstream, ctx, headers, false);
        return;
      }
      fail(errors.E_UPSTREAM(undefined, { cause: error }));
    });
    upstreamReq.once('response', (upstreamRes) => {
      if (settled) {
        upstreamRes.resume();
        return;
      }
      settled = true;
      clearTimeout(timer);
      const out = endToEndHeaders(upstreamRes.headers, EMPTY);
      if (ctx.responseHeaders) Object.assign(out, ctx.responseHeaders);
      res.writeHead(upstreamRes.statusCode ?? 502, out);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
      upstreamRes.once('aborted', () => res.destroy());
    });
    // The client went away: stop the upstream work too.
    res.once('close', () => {
      if (!res.writableFinished) {
        clearTimeout(timer);
        settled = true;
        upstreamReq.destroy();
      }
    });
    upstreamReq.end(ctx.body);
  }

  /** The parsed URL and keep-alive agent of an upstream, made once (not per request). */
  #target(upstream: Upstream): Target {
    let target = this.#targets.get(upstream.url);
    if (!target) {
      const url = new URL(upstream.url);
      target = {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        agent: new http.Agent(this.#agentOptions),
      };
      this.#targets.set(upstream.url, target);
    }
    return target;
  }

  /** Closes idle upstream sockets (graceful shutdown). */
  close(): void {
    for (const target of this.#targets.values()) target.agent.destroy();
    this.#targets.clear();
  }
}

const EMPTY: ReadonlySet<string> = new Set();

interface Target {
  readonly protocol: string;
  readonly hostname: string;
  readonly port: string;
  readonly agent: http.Agent;
}
