import {
  type DeepReadonly,
  type Env,
  env,
  loadConfig,
  refuseDevSecrets,
  requireOneStateRedis,
  runModeEnv,
  type StateRedisTarget,
  stateRedisEnv,
  stateRedisTarget,
} from '@redwire/config';
import { z } from 'zod';

// The only place the user service and its worker read the environment: read once at start-up, validated against one schema
// (one error lists every bad key), and passed down as a frozen object.

const common = {
  ...runModeEnv,
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: env.postgresUrl(),
  /**
   * State Redis (noeviction): the user-events stream, BullMQ, the L1 fan-out. REDIS_URL (one server) or
   * REDIS_CLUSTER_NODES (Redis Cluster seeds, `host:port` or `redis://` URLs, comma-separated), exactly one.
   */
  ...stateRedisEnv,
  /**
   * Cache Redis (evictable), always one server; defaults to the state deployment, a Redis Cluster too when
   * REDIS_CLUSTER_NODES is set (see {@link cacheRedisTarget}).
   */
  CACHE_REDIS_URL: env.redisUrl().optional(),
  /** Prefix for every Redis key and stream (a Redis shared by several deployments, or tests). */
  REDIS_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/)
    .optional(),
  REDIS_COMMAND_TIMEOUT: env.duration().default(250),
  DB_POOL_MAX: env.int(1, 200).default(10),
  DB_STATEMENT_TIMEOUT: env.duration().default(1500),
  DB_CONNECT_TIMEOUT: env.duration().default(1000),
  USER_CACHE_FLOOR_TTL: env.duration().default(30_000),
  USER_CACHE_INVALIDATION_BUDGET: env.duration().default(250),
};

const serviceSchema = z
  .object({
    ...common,
    PORT: env.port().default(8081),
    IDENTITY_SIGNING_KEY: env.secret(32),
    /**
     * One request's budget for all its dependency work (pool wait, every statement, Redis calls); past it
     * the request answers 503 with Retry-After. The gateway's UPSTREAM_TIMEOUT must stay above it.
     */
    REQUEST_BUDGET: env.duration().default(2000),
    USER_CACHE_TTL: env.duration().default(300_000),
    USER_CACHE_TTL_JITTER_PERCENT: env.int(0, 50).default(10),
    USER_CACHE_MAX_TTL: env.duration().default(3_600_000),
    USER_CACHE_STALE: env.duration().default(60_000),
    USER_CACHE_NEGATIVE_TTL: env.duration().default(5_000),
    USER_CACHE_LEASE_TTL: env.duration().default(2_000),
    USER_CACHE_L1: env.bool().default(false),
    /** Most cache reads coalesced into one MGET (those arriving in one event-loop turn); 1 = one GET each. On a cluster, per hash slot. */
    USER_CACHE_MAX_READ_BATCH: env.int(1, 256).default(16),
    USER_CACHE_L1_TTL: env.duration().default(1_000),
    USER_CACHE_L1_MAX_ENTRIES: env.positiveInt(10_000_000).default(10_000),
    /** Consecutive failed cache calls that make the service read around the cache at once. */
    USER_CACHE_FAIL_AFTER: env.int(1, 1000).default(3),
    /** Breaker: open when ≥ 50 % of at least this many calls in a 5 s window failed. */
    USER_CACHE_BREAKER_MIN_CALLS: env.int(1, 10_000).default(5),
    /** Breaker: how long it stays open before its half-open probe. */
    USER_CACHE_BREAKER_OPEN: env.duration().default(1_000),
    USER_CACHE_PROBE_INTERVAL: env.duration().default(500),
    USER_CACHE_SWEEP_MARGIN: env.duration().default(15_000),
  })
  .superRefine(...requireOneStateRedis)
  .refine((c) => c.USER_CACHE_LEASE_TTL > c.DB_STATEMENT_TIMEOUT, {
    path: ['USER_CACHE_LEASE_TTL'],
    message: 'must exceed DB_STATEMENT_TIMEOUT, so a fill cannot outlive its lease',
  })
  .refine((c) => c.REQUEST_BUDGET > c.USER_CACHE_INVALIDATION_BUDGET, {
    path: ['REQUEST_BUDGET'],
    message: 'must exceed USER_CACHE_INVALIDATION_BUDGET (a write leaves that much for its invalidation)',
  });

/**
 * The queue dashboard (bull-board: retries and deletes jobs, no login). Loopback is its only access control,
 * so it is off unless given a port, and binds ADMIN_HOST, never HOST (which compose sets to 0.0.0.0).
 */
const queueDashboard = {
  /** The dashboard's listener (`/queues`, `/healthz`); 0 = off. */
  ADMIN_PORT: env.port().default(0),
  ADMIN_HOST: z.string().trim().min(1).default('127.0.0.1'),
  /** Show jobs, allow no retry, delete, promote, clean, pause or add. */
  QUEUE_DASHBOARD_READ_ONLY: env.bool().default(false),
};

const workerSchema = z
  .object({
    ...common,
    /** /healthz and /metrics of the worker; 0 turns the listener off. */
    METRICS_PORT: env.port().default(9091),
    ...queueDashboard,
    OUTBOX_POLL_INTERVAL: env.duration().default(500),
    OUTBOX_BATCH_SIZE: env.int(1, 1000).default(100),
    /** How long published outbox rows are kept (the cache's recovery sweep reads them); ≥ USER_CACHE_MAX_TTL. */
    OUTBOX_RETENTION: env.duration().default(7_200_000),
    USER_EVENTS_MAXLEN: env.positiveInt().default(100_000),
    /** The worker is not on a request path: its Redis commands may wait longer before failing. */
    WORKER_REDIS_COMMAND_TIMEOUT: env.duration().default(2000),
  })
  .superRefine(...requireOneStateRedis);

/** The dashboard alone (`dist/queues.js`): compose's `tools` profile runs it next to the worker. */
const queuesSchema = z
  .object({
    ...runModeEnv,
    LOG_LEVEL: common.LOG_LEVEL,
    ...stateRedisEnv,
    REDIS_NAMESPACE: common.REDIS_NAMESPACE,
    ...queueDashboard,
    ADMIN_PORT: env.port().default(9092),
  })
  .superRefine(...requireOneStateRedis);

const migrateSchema = z.object({ ...runModeEnv, DATABASE_URL: env.postgresUrl() });

export type ServiceConfig = DeepReadonly<z.output<typeof serviceSchema>>;
export type WorkerConfig = DeepReadonly<z.output<typeof workerSchema>>;
export type QueuesConfig = DeepReadonly<z.output<typeof queuesSchema>>;

/** The HTTP service's configuration (throws one ConfigError listing every bad key). */
export function loadServiceConfig(source: Env): ServiceConfig {
  return refuseDevSecrets(loadConfig(serviceSchema, source));
}

/** The worker's configuration. */
export function loadWorkerConfig(source: Env): WorkerConfig {
  return refuseDevSecrets(loadConfig(workerSchema, source));
}

/** The standalone queue dashboard's configuration. */
export function loadQueuesConfig(source: Env): QueuesConfig {
  return refuseDevSecrets(loadConfig(queuesSchema, source));
}

/** The migration entry point's configuration. */
export function loadMigrateConfig(source: Env): { readonly DATABASE_URL: string } {
  return refuseDevSecrets(loadConfig(migrateSchema, source));
}

/**
 * The cache role's target: CACHE_REDIS_URL, else the state deployment, whatever it is. On a Redis Cluster
 * the cache then runs on the cluster too (every cache script keeps its keys in one slot; reads are not
 * coalesced into MGETs there): it works, but the recommended shape is a single evictable node
 * (README "Running on a Redis Cluster"), so the runtimes log which one they chose.
 */
export function cacheRedisTarget(config: ServiceConfig | WorkerConfig): {
  target: StateRedisTarget;
  /** True when the cache shares the state Redis Cluster (no CACHE_REDIS_URL). */
  onStateCluster: boolean;
} {
  if (config.CACHE_REDIS_URL !== undefined)
    return { target: { url: config.CACHE_REDIS_URL }, onStateCluster: false };
  const target = stateRedisTarget(config);
  return { target, onStateCluster: 'clusterNodes' in target };
}
