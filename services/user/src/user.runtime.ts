import { IdentityVerifier } from '@redwire/http-kit';
import {
  createLogger,
  createMetrics,
  injectTraceparent,
  type Logger,
  type Metrics,
} from '@redwire/observability';
import { Database } from '@redwire/postgres-kit';
import {
  CircuitBreaker,
  checkRedis,
  isRedisUnavailableError,
  Keyspace,
  pendingCount,
  type RedisClient,
  RedisConnections,
  type StreamFanoutReader,
  waitForReady,
} from '@redwire/redis-kit';
import type { Express } from 'express';
import type pg from 'pg';
import { createApp } from './app';
import { CacheGate } from './cache/cache-gate';
import { L1Cache } from './cache/l1-cache';
import { startL1Fanout } from './cache/l1-fanout';
import { LoopLagMonitor } from './cache/loop-lag.monitor';
import { createRecoverySweep } from './cache/recovery-sweep';
import { UserCache } from './cache/user-cache';
import { UserCacheKeys } from './cache/user-cache.keys';
import { UserCacheStore } from './cache/user-cache.store';
import type { ServiceConfig } from './config';
import { USER_CACHE_GROUP, USER_EVENTS_STREAM } from './events/user-events';
import { createUserMetrics, registerBacklogGauges, type UserMetrics } from './user.metrics';
import { type RepositoryHooks, UserRepository } from './users/user.repository';
import { UserService, type UserServiceHooks } from './users/user.service';

/** Test seams of {@link createUserRuntime}; production passes none. */
export interface UserRuntimeOverrides {
  readonly logger?: Logger;
  readonly repositoryHooks?: RepositoryHooks;
  readonly serviceHooks?: UserServiceHooks;
  /** Wraps the loader the cache fills from (e.g. to pause a reader after its SELECT). */
  readonly wrapLoad?: (load: UserRepository['findById']) => UserRepository['findById'];
}

/** The user service's object graph, built from config by main.ts and by the in-process tests. */
export interface UserRuntime {
  readonly app: Express;
  readonly logger: Logger;
  /** The request path's PostgreSQL access (keeps to each request's deadline). */
  readonly db: Database;
  readonly pool: pg.Pool;
  readonly redis: RedisConnections;
  readonly cacheClient: RedisClient;
  readonly keyspace: Keyspace;
  readonly repository: UserRepository;
  readonly cache: UserCache;
  readonly gate: CacheGate;
  readonly l1: L1Cache | undefined;
  readonly service: UserService;
  readonly metrics: Metrics;
  readonly userMetrics: UserMetrics;
  /** Starts background work (cache gate probe and start-up sweep, L1 fan-out). */
  start(): Promise<void>;
  /** Stops background work and closes Redis and PostgreSQL connections (after the HTTP server drained). */
  close(): Promise<void>;
}

/** Builds (does not start) the user service: pool, Redis clients, cache, gate, L1, app. */
export function createUserRuntime(config: ServiceConfig, overrides: UserRuntimeOverrides = {}): UserRuntime {
  const logger = overrides.logger ?? createLogger({ service: 'redwire-user', level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: 'redwire-user' });
  const userMetrics = createUserMetrics(metrics.registry);

  const db = new Database({
    connectionString: config.DATABASE_URL,
    applicationName: 'redwire-user',
    max: config.DB_POOL_MAX,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT,
    connectionTimeoutMs: config.DB_CONNECT_TIMEOUT,
    onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'),
  });
  const { pool } = db;
  const repository = new UserRepository(db, {
    ...(overrides.repositoryHooks ? { hooks: overrides.repositoryHooks } : {}),
    onQuery: (operation) => userMetrics.dbQuery(operation),
  });

  const redis = new RedisConnections({
    service: 'user',
    state: { url: config.REDIS_URL },
    cache: { url: config.CACHE_REDIS_URL ?? config.REDIS_URL },
    client: { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT },
    onError: (error, connection) => logger.debug({ err: error, connection }, 'redis connection error'),
  });
  const cacheClient = redis.request('cache');
  const keyspace = new Keyspace({
    service: 'user',
    ...(config.REDIS_NAMESPACE ? { namespace: config.REDIS_NAMESPACE } : {}),
  });
  const store = new UserCacheStore(cacheClient, new UserCacheKeys(keyspace), {
    maxReadBatch: config.USER_CACHE_MAX_READ_BATCH,
  });

  // A timeout while our own event loop stalls is not Redis's failure (see LoopLagMonitor).
  const loopLag = new LoopLagMonitor();
  const isLocalStall = () => loopLag.recentMaxMs() >= config.REDIS_COMMAND_TIMEOUT / 2;
  const breaker = new CircuitBreaker({
    name: 'user-cache',
    isFailure: (error) => isRedisUnavailableError(error) && !isLocalStall(),
    minimumCalls: config.USER_CACHE_BREAKER_MIN_CALLS,
    windowMs: 5000,
    windowBuckets: 5,
    openDurationMs: config.USER_CACHE_BREAKER_OPEN,
    registry: metrics.registry,
  });
  const l1 = config.USER_CACHE_L1
    ? new L1Cache({ ttlMs: config.USER_CACHE_L1_TTL, maxEntries: config.USER_CACHE_L1_MAX_ENTRIES })
    : undefined;

  // The gate needs the cache for its sweep and the cache needs the gate: the sweep resolves it late.
  let cache: UserCache | undefined;
  const gate = new CacheGate(
    {
      breaker,
      isLocalStall,
      probe: () => cacheClient.ping(),
      sweep: (since) => {
        if (!cache) throw new Error('cache not built');
        return createRecoverySweep({ writesSince: (s) => repository.writesSince(s), cache })(since);
      },
      onStateChange: (state, reason) => {
        userMetrics.gateState(state);
        logger.info({ state, reason }, 'cache gate state changed');
      },
    },
    {
      consecutiveFailures: config.USER_CACHE_FAIL_AFTER,
      probeIntervalMs: config.USER_CACHE_PROBE_INTERVAL,
      sweepMarginMs: config.USER_CACHE_SWEEP_MARGIN,
    },
  );
  cacheClient.on('close', () => gate.trip('cache connection closed'));

  const load = repository.findById.bind(repository);
  cache = new UserCache(
    {
      store,
      load: overrides.wrapLoad ? overrides.wrapLoad(load) : load,
      availability: gate,
      l1,
      metrics: userMetrics.cache,
    },
    {
      ttlMs: config.USER_CACHE_TTL,
      ttlJitter: config.USER_CACHE_TTL_JITTER_PERCENT / 100,
      maxTtlMs: config.USER_CACHE_MAX_TTL,
      staleMs: config.USER_CACHE_STALE,
      negativeTtlMs: config.USER_CACHE_NEGATIVE_TTL,
      leaseTtlMs: config.USER_CACHE_LEASE_TTL,
      floorTtlMs: config.USER_CACHE_FLOOR_TTL,
      invalidationBudgetMs: config.USER_CACHE_INVALIDATION_BUDGET,
    },
  );
  const service = new UserService({
    repository,
    cache,
    traceContext: () => injectTraceparent(),
    ...(overrides.serviceHooks ? { hooks: overrides.serviceHooks } : {}),
  });

  const stateClient = redis.request('state');
  const stream = keyspace.stream(USER_EVENTS_STREAM);
  registerBacklogGauges(metrics.registry, {
    outboxBacklog: async () => {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM users.outbox WHERE published_at IS NULL',
      );
      return Number(rows[0]?.n ?? 0);
    },
    streamPending: () => pendingCount(stateClient, stream, USER_CACHE_GROUP),
  });

  const verifier = new IdentityVerifier({ key: config.IDENTITY_SIGNING_KEY, audience: 'user' });
  let fanout: StreamFanoutReader | undefined;
  let closing = false;
  const app = createApp({
    service,
    verifier,
    logger,
    metrics,
    requestBudgetMs: config.REQUEST_BUDGET,
    isShuttingDown: () => closing,
    readiness: {
      postgres: {
        run: async () => {
          await pool.query('SELECT 1');
          return undefined;
        },
      },
      redis: {
        critical: false,
        run: async () => {
          const health = await checkRedis(cacheClient, { timeoutMs: 500 });
          if (!health.ok) throw new Error(health.error ?? 'cache redis unavailable');
          return gate.usable ? { breaker: gate.state } : { status: 'degraded', breaker: gate.state };
        },
      },
    },
  });

  return {
    app,
    logger,
    db,
    pool,
    redis,
    cacheClient,
    keyspace,
    repository,
    cache,
    gate,
    l1,
    service,
    metrics,
    userMetrics,
    async start() {
      // Not fatal: with Redis down the service starts degraded and the gate keeps probing.
      await waitForReady(cacheClient, 5000).catch((error: unknown) =>
        logger.warn({ err: error }, 'cache Redis not ready at start-up; serving from PostgreSQL'),
      );
      loopLag.start();
      gate.start();
      if (l1) {
        fanout = await startL1Fanout({
          connection: redis.blocking('l1-fanout'),
          stream,
          l1,
          onError: (error) => logger.warn({ err: error }, 'L1 fan-out reader error'),
        });
      }
    },
    async close() {
      closing = true;
      await gate.stop();
      loopLag.stop();
      await fanout?.close();
      breaker.shutdown();
      await redis.close();
      await pool.end();
    },
  };
}
