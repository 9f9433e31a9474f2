import fs from 'node:fs';
import {
  type DeepReadonly,
  type Env,
  env,
  loadConfig,
  refuseDevSecrets,
  requireOneStateRedis,
  runModeEnv,
  stateRedisEnv,
} from '@redwire/config';
import { z } from 'zod';

// The only place the gateway reads the environment: read once at start-up, validated against one schema
// (one error lists every bad key), and passed down as a frozen object.

const NAMESPACE = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const schema = z
  .object({
    ...runModeEnv,
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    /** Public port: the proxied API and /healthz. */
    PORT: env.port().default(8080),
    /** Admin port (bound to HOST): /metrics and /readyz, never published. */
    ADMIN_PORT: env.port().default(9080),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * State Redis (noeviction): rate-limit state and sessions. REDIS_URL (one server) or REDIS_CLUSTER_NODES
     * (Redis Cluster seeds, `host:port` or `redis://` URLs, comma-separated), exactly one.
     */
    ...stateRedisEnv,
    /** Key prefix shared with auth and user (sessions are read under it). */
    REDIS_NAMESPACE: z.string().regex(NAMESPACE).optional(),
    /** ioredis command timeout of the request-path client; each decision also has its own deadline. */
    REDIS_COMMAND_TIMEOUT: env.duration().default(250),
    IDENTITY_SIGNING_KEY: env.secret(32),
    USER_SERVICE_URL: env.httpUrl().default('http://127.0.0.1:8081'),
    AUTH_SERVICE_URL: env.httpUrl().default('http://127.0.0.1:8082'),
    /**
     * Deadline for an upstream's response headers (then 504). Above the services' REQUEST_BUDGET (2 s) plus
     * their 250 ms overrun allowance, so a service's own 503 with Retry-After arrives first; below it would
     * turn every slow-dependency answer into a 504.
     */
    UPSTREAM_TIMEOUT: env.duration().default(3000),
    /** Deadline for connecting to an upstream (then 502). */
    UPSTREAM_CONNECT_TIMEOUT: env.duration().default(1000),
    /** JSON policy file (`{ "policies": [...] }`, see policies.example.json); default: the built-in set. */
    RATE_LIMIT_POLICIES_FILE: z.string().trim().min(1).optional(),
    /** Deadline of one rate-limit decision in Redis; past it, each policy's failure mode decides. */
    RATE_LIMIT_DEADLINE: env.duration().default(50),
    /** Most rate-limit decisions sent in one script call (those arriving in one event-loop turn); 1 = no coalescing. On a cluster, per hash slot. */
    RATE_LIMIT_MAX_BATCH: env.int(1, 256).default(16),
    /** Gateway replicas; the `local` failure mode allows 1/N of each policy per instance. */
    RATE_LIMIT_INSTANCES: env.int(1, 1000).default(1),
    /** Identities remembered as over their limit (no Redis call until their wait ends); 0 turns it off. */
    RATE_LIMIT_DENY_CACHE_SIZE: env.int(0, 10_000_000).default(10_000),
    /** Identities the in-process fallback limiter tracks while Redis is down. */
    RATE_LIMIT_LOCAL_MAX_ENTRIES: env.int(1, 10_000_000).default(10_000),
    /** Deadline of one session check; past it a token-bearing request gets 503. */
    SESSION_CHECK_DEADLINE: env.duration().default(100),
    /**
     * Reuse a successful session validation this long (0–1000 ms; 0 = check every request in Redis). A
     * revocation still takes effect within 1 s (docs/api.md).
     */
    SESSION_CACHE_TTL: env
      .duration()
      .pipe(z.number().max(1000, 'must be at most 1000 ms (revocations take effect within 1 s)'))
      .default(500),
    /**
     * Degraded sessions: while the state Redis is unreachable, safe requests (GET, HEAD, OPTIONS) with a
     * token this instance validated at most this long ago are served with the identity validated then; a
     * revocation written just before the outage may go unseen for at most this long (README "Degraded
     * sessions"). 0 turns it off: every token that cannot be checked gets 503.
     */
    SESSION_DEGRADED_WINDOW: env
      .duration()
      .pipe(
        z
          .number()
          .max(3_600_000, 'must be at most 1 h (it bounds how long a revoked session may still read)'),
      )
      .default(60_000),
    /** Last-known-good sessions remembered for degraded mode (LRU); beyond it the least recently used go. */
    SESSION_DEGRADED_MAX_ENTRIES: env.int(1, 10_000_000).default(10_000),
    /** Must match auth's SESSION_TOUCH_INTERVAL: a validation slides the idle expiry at most this often. */
    SESSION_TOUCH_INTERVAL: env.duration().default(60_000),
    /** Must match auth: false means the cookie is `sid` (plain http on a non-localhost host), else `__Host-sid`. */
    SESSION_COOKIE_SECURE: env.bool().default(true),
    /** Proxies in front of the gateway that append to X-Forwarded-For (a load balancer = 1). */
    TRUSTED_PROXY_HOPS: env.int(0, 10).default(0),
    /** Comma-separated CIDRs of trusted proxies, e.g. `10.0.0.0/8`. */
    TRUSTED_PROXY_CIDRS: env.list().default([]),
    /** IPv6 clients are limited per prefix of this length. */
    IPV6_SUBNET: env.int(32, 128).default(56),
    /** Other origins allowed to send cookie-authenticated writes (same-origin only by default). */
    ALLOWED_ORIGINS: env.list(z.url()).default([]),
    /** Largest request body in bytes (the API's 64 KiB); more → 413. Bodies are read whole before forwarding. */
    MAX_REQUEST_BODY: env.int(0, 16_777_216).default(65_536),
    /** Deadline for reading a request body once the gateway starts reading it; then 408 and the connection closes. */
    BODY_READ_TIMEOUT: env.duration().default(10_000),
    /** Open connections per client address (IPv6 per IPV6_SUBNET prefix; trusted proxies exempt); more → 429. */
    MAX_CONNECTIONS_PER_CLIENT: env.int(1, 1_000_000).default(128),
    /** Requests per client (signed-in user, else address) past the rate limiter and unanswered; more → 429. */
    MAX_IN_FLIGHT_PER_CLIENT: env.int(1, 1_000_000).default(32),
    /** Request bodies per client being read at once; more → 429. */
    MAX_UPLOADS_PER_CLIENT: env.int(1, 1_000_000).default(8),
    /** Public port: deadline for a request's headers (slow-loris bound); then 408 and close. */
    HEADERS_TIMEOUT: env.duration().default(10_000),
    /** Public port: deadline for a whole request, headers and body; then 408 and close. */
    REQUEST_TIMEOUT: env.duration().default(30_000),
    /** Public port: an idle keep-alive connection closes after this (above a load balancer's 60 s). */
    KEEP_ALIVE_TIMEOUT: env.duration().default(65_000),
    /** Public port: most header fields per request; more → 431. */
    MAX_HEADERS_COUNT: env.int(1, 2000).default(100),
    /** Public port: most bytes of request line and headers; more → 431. */
    MAX_HEADER_SIZE: env.int(1024, 1_048_576).default(16_384),
  })
  .superRefine(...requireOneStateRedis)
  // Node refuses a header deadline past the request deadline; say so at start-up instead.
  .refine((c) => c.HEADERS_TIMEOUT <= c.REQUEST_TIMEOUT, {
    path: ['HEADERS_TIMEOUT'],
    message: 'must not exceed REQUEST_TIMEOUT',
  });

export type GatewayConfig = DeepReadonly<z.output<typeof schema>>;

/** The gateway's configuration (throws one ConfigError listing every bad key). */
export function loadGatewayConfig(source: Env): GatewayConfig {
  return refuseDevSecrets(loadConfig(schema, source));
}

/** Reads the policy file named by RATE_LIMIT_POLICIES_FILE, if any (validated by PolicySet). */
export function readPolicyFile(config: GatewayConfig): string | undefined {
  return config.RATE_LIMIT_POLICIES_FILE
    ? fs.readFileSync(config.RATE_LIMIT_POLICIES_FILE, 'utf8')
    : undefined;
}
