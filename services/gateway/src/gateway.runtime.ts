import { stateRedisTarget } from '@redwire/config';
import { buildOpenApiDocument } from '@redwire/contracts';
import { IdentitySigner, waitForDependencies } from '@redwire/http-kit';
import { createLogger, createMetrics, httpLogger, type Logger, type Metrics } from '@redwire/observability';
import type { RateLimiter } from '@redwire/ratelimit';
import {
  checkRedis,
  Keyspace,
  type RedisClient,
  RedisConnections,
  type StreamFanoutReader,
  waitForReady,
  withDeadline,
} from '@redwire/redis-kit';
import { INSECURE_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME, SessionReader } from '@redwire/sessions';
import type { Request } from 'express';
import { createGatewayApp, type GatewayApp } from './app';
import { type GatewayConfig, readPolicyFile } from './config';
import { ApiDocs } from './docs/api-docs';
import { ClientBounds } from './gateway/client-bounds';
import { RouteTable } from './gateway/routes';
import { Authenticator } from './identity/authenticator';
import { ClientIpResolver } from './identity/client-ip-resolver';
import { createRevocationListener } from './identity/revocation.listener';
import { SameOriginCheck } from './identity/same-origin-check';
import { SessionCache } from './identity/session-cache';
import { SessionMetrics } from './identity/session-metrics';
import { ReverseProxy } from './proxy/reverse-proxy';
import { createGatewayRateLimiter, PolicySet } from './ratelimit';
import { DEFAULT_POLICIES } from './ratelimit/default-policies';

/** Test seams of {@link createGatewayRuntime}; production passes none. */
export interface GatewayRuntimeOverrides {
  readonly logger?: Logger;
  /** Monotonic clock (ms) of the deny cache and the local limiter. */
  readonly clock?: () => number;
  /** Turns the access log off (it is also off when LOG_LEVEL is above info). */
  readonly accessLog?: boolean;
}

/** The gateway's object graph, built from config by main.ts and by the in-process tests. */
export interface GatewayRuntime {
  readonly app: GatewayApp;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly redis: RedisClient;
  readonly keyspace: Keyspace;
  readonly policies: PolicySet;
  readonly limiter: RateLimiter;
  readonly authenticator: Authenticator;
  readonly bounds: ClientBounds;
  /** Wire to the shutdown so /readyz reports draining. */
  setShuttingDown(check: () => boolean): void;
  /**
   * Waits up to `timeoutMs` for Redis, then starts following auth's revocation events (when validations are
   * cached or remembered for degraded mode). Resolves once reading, or after `timeoutMs` if Redis is not
   * there yet (the reader keeps trying; the cache TTL and the degraded window bound staleness).
   */
  start(timeoutMs?: number): Promise<void>;
  /** Closes upstream sockets, the limiter and Redis (after the servers drained). */
  close(): Promise<void>;
}

export function createGatewayRuntime(
  config: GatewayConfig,
  overrides: GatewayRuntimeOverrides = {},
): GatewayRuntime {
  const logger = overrides.logger ?? createLogger({ service: 'redwire-gateway', level: config.LOG_LEVEL });
  const accessLog = overrides.accessLog !== false && logger.isLevelEnabled('info');
  const routes = new RouteTable({
    user: { name: 'user', url: config.USER_SERVICE_URL },
    auth: { name: 'auth', url: config.AUTH_SERVICE_URL, forwardCredentials: true },
  });
  const metrics = createMetrics({
    service: 'redwire-gateway',
    resolveRoute: (req: Request) => routes.match((req.url ?? '').split('?', 1)[0] ?? '')?.label,
  });
  const connections = new RedisConnections({
    service: 'gateway',
    state: stateRedisTarget(config),
    client: { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT },
    // Reconnection retries every few hundred ms; one line per connection per 10 s is enough to see it.
    onError: throttled(10_000, (error, connection) =>
      logger.warn({ err: error, connection }, 'Redis connection error'),
    ),
  });
  const redis = connections.request('state');
  const keyspace = new Keyspace({ service: 'gateway', namespace: config.REDIS_NAMESPACE });
  const policyFile = readPolicyFile(config);
  const policies = policyFile ? PolicySet.fromJson(policyFile) : new PolicySet(DEFAULT_POLICIES);

  const limiter = createGatewayRateLimiter({
    redis,
    keyspace,
    policies,
    deadlineMs: config.RATE_LIMIT_DEADLINE,
    maxBatch: config.RATE_LIMIT_MAX_BATCH,
    denyCacheSize: config.RATE_LIMIT_DENY_CACHE_SIZE,
    instances: config.RATE_LIMIT_INSTANCES,
    localMaxEntries: config.RATE_LIMIT_LOCAL_MAX_ENTRIES,
    registry: metrics.registry,
    clock: overrides.clock,
  });
  // The package's breaker (its defaults) sits in front of Redis; while it is open a check fails at once
  // and the authenticator answers as for any unreachable Redis (503, or degraded service).
  const sessions = new SessionReader({
    redis,
    namespace: config.REDIS_NAMESPACE,
    touchIntervalMs: config.SESSION_TOUCH_INTERVAL,
    deadlineMs: config.SESSION_CHECK_DEADLINE,
    registry: metrics.registry,
  });
  const proxy = new ReverseProxy({
    responseTimeoutMs: config.UPSTREAM_TIMEOUT,
    connectTimeoutMs: config.UPSTREAM_CONNECT_TIMEOUT,
  });

  const sessionMetrics = new SessionMetrics(metrics.registry);
  const cookieName = config.SESSION_COOKIE_SECURE ? SESSION_COOKIE_NAME : INSECURE_SESSION_COOKIE_NAME;
  const authenticator = new Authenticator({
    sessions,
    cookieName,
    // Injected here, where their sizes are configured; the revocation listener evicts from both.
    ...(config.SESSION_CACHE_TTL > 0 ? { cache: new SessionCache({ ttlMs: config.SESSION_CACHE_TTL }) } : {}),
    ...(config.SESSION_DEGRADED_WINDOW > 0
      ? {
          lastKnown: new SessionCache({
            ttlMs: config.SESSION_DEGRADED_WINDOW,
            maxEntries: config.SESSION_DEGRADED_MAX_ENTRIES,
          }),
        }
      : {}),
    onDegraded: (outcome) => sessionMetrics.degraded(outcome),
    onModeChange: (degraded) => {
      sessionMetrics.mode(degraded);
      logger.warn(
        { degraded },
        degraded ? 'state Redis unreachable: degraded sessions' : 'sessions checked in Redis again',
      );
    },
  });
  let revocations: StreamFanoutReader | undefined;

  const clientIp = new ClientIpResolver({
    trustedHops: config.TRUSTED_PROXY_HOPS,
    trustedCidrs: config.TRUSTED_PROXY_CIDRS,
    ipv6PrefixLength: config.IPV6_SUBNET,
  });
  const bounds = new ClientBounds({
    maxConnectionsPerAddress: config.MAX_CONNECTIONS_PER_CLIENT,
    maxInFlightPerClient: config.MAX_IN_FLIGHT_PER_CLIENT,
    maxUploadsPerClient: config.MAX_UPLOADS_PER_CLIENT,
    registry: metrics.registry,
  });

  let isShuttingDown = () => false;
  const app = createGatewayApp({
    routes,
    // Built once, from the same contracts the services parse with (README "API reference").
    docs: new ApiDocs({ document: buildOpenApiDocument({ sessionCookieName: cookieName }) }),
    clientIp,
    authenticator,
    sameOrigin: new SameOriginCheck({ allowedOrigins: config.ALLOWED_ORIGINS }),
    policies,
    limiter,
    signer: new IdentitySigner({ key: config.IDENTITY_SIGNING_KEY }),
    proxy,
    bounds,
    framing: { maxHeadersCount: config.MAX_HEADERS_COUNT, maxBodyBytes: config.MAX_REQUEST_BODY },
    bodyReadTimeoutMs: config.BODY_READ_TIMEOUT,
    publicServer: {
      headersTimeoutMs: config.HEADERS_TIMEOUT,
      requestTimeoutMs: config.REQUEST_TIMEOUT,
      keepAliveTimeoutMs: config.KEEP_ALIVE_TIMEOUT,
      maxHeaderBytes: config.MAX_HEADER_SIZE,
      // One more than the bound, so a request at the bound is seen whole and one past it is refused.
      maxHeadersCount: config.MAX_HEADERS_COUNT + 1,
      onConnection: (socket) => {
        // A trusted proxy carries many clients: its connections are not one client's.
        const peer = clientIp.resolve(socket.remoteAddress, undefined);
        bounds.admitConnection(socket, peer.viaTrustedProxy ? undefined : peer.key);
      },
    },
    // Above `info` no access line would be written, so the per-request logging machinery is skipped;
    // 5xx answers are then logged by the handler itself.
    middleware: [metrics.httpMetrics, ...(accessLog ? [httpLogger({ logger })] : [])],
    onServerError: accessLog ? undefined : (error) => logger.error({ err: error }, 'request failed'),
    onUnexpectedError: (error) => logger.error({ err: error }, 'unexpected error in the gateway'),
    logger,
    metricsHandler: metrics.metricsHandler,
    readiness: {
      redis: {
        run: async () => {
          const health = await checkRedis(redis, { timeoutMs: 500 });
          if (!health.ok) throw new Error(health.error ?? 'Redis is unreachable');
          return { latencyMs: Math.round(health.latencyMs) };
        },
      },
    },
    isShuttingDown: () => isShuttingDown(),
  });

  return {
    app,
    logger,
    metrics,
    redis,
    keyspace,
    policies,
    limiter,
    authenticator,
    bounds,
    setShuttingDown(check) {
      isShuttingDown = check;
    },
    async start(timeoutMs = 5000) {
      // Serving without Redis is allowed (failure modes), but start-up waits briefly so the first requests
      // are not all degraded.
      await waitForDependencies(
        [
          {
            name: 'Redis',
            ready: (ms) => waitForReady(redis, ms),
            meanwhile: 'rate-limit failure modes apply and token-bearing requests get 503',
          },
        ],
        { timeoutMs, logger },
      );
      if ((!authenticator.cache && !authenticator.lastKnown) || revocations) return;
      revocations = createRevocationListener({
        connection: connections.blocking('auth-events'),
        namespace: config.REDIS_NAMESPACE,
        authenticator,
        logger,
      });
      // Start-up does not wait longer for the listener: until it runs, cached validations expire by TTL.
      await withDeadline(revocations.start(), timeoutMs).catch(() => {});
    },
    async close() {
      // Bounded: with Redis unreachable since start-up, StreamFanoutReader.close() does not settle
      // (its first XREVRANGE waits in the blocking client's offline queue). TODO(redis-kit): fix there.
      if (revocations) await withDeadline(revocations.close(), 1000).catch(() => {});
      proxy.close();
      limiter.close();
      sessions.close();
      await connections.close();
    },
  };
}

/** Calls `log` at most once per `intervalMs` per connection name. */
function throttled(
  intervalMs: number,
  log: (error: Error, connection: string) => void,
): (error: Error, connection: string) => void {
  const last = new Map<string, number>();
  return (error, connection) => {
    const now = performance.now();
    if (now - (last.get(connection) ?? Number.NEGATIVE_INFINITY) < intervalMs) return;
    last.set(connection, now);
    log(error, connection);
  };
}
