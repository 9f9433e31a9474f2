import { stateRedisTarget } from '@redwire/config';
import { USER_CACHE_GROUP, userEventsKey } from '@redwire/contracts';
import { IdentityVerifier, waitForDependencies } from '@redwire/http-kit';
import {
  createLogger,
  createMetrics,
  injectTraceparent,
  type Logger,
  type Metrics,
} from '@redwire/observability';
import { Database } from '@redwire/postgres-kit';
import {
  checkRedis,
  Keyspace,
  pendingCount,
  type RedisClient,
  RedisConnections,
  waitForReady,
} from '@redwire/redis-kit';
import type { Express } from 'express';
import type pg from 'pg';
import { createApp } from './app';
import { createUserCache, type UserCache } from './cache/user-cache';
import { cacheRedisTarget, type ServiceConfig } from './config';
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
  readonly service: UserService;
  readonly metrics: Metrics;
  readonly userMetrics: UserMetrics;
  /** Wire to the shutdown handle (`() => shutdown.isShuttingDown()`) so /readyz reports draining. */
  setShuttingDown(check: () => boolean): void;
  /** Starts background work (the cache's gate probe and start-up sweep, its L1 fan-out). */
  start(): Promise<void>;
  /** Stops background work and closes Redis and PostgreSQL connections (after the HTTP server drained). */
  close(): Promise<void>;
}

/** Builds (does not start) the user service: pool, Redis clients, cache, app. */
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

  const cacheTarget = cacheRedisTarget(config);
  if (cacheTarget.onStateCluster)
    logger.warn(
      'no CACHE_REDIS_URL: the cache role shares the state Redis Cluster (works; a single evictable node is recommended)',
    );
  const redis = new RedisConnections({
    service: 'user',
    state: stateRedisTarget(config),
    cache: cacheTarget.target,
    client: { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT },
    onError: (error, connection) => logger.debug({ err: error, connection }, 'redis connection error'),
  });
  const cacheClient = redis.request('cache');
  const keyspace = new Keyspace({
    service: 'user',
    ...(config.REDIS_NAMESPACE ? { namespace: config.REDIS_NAMESPACE } : {}),
  });
  const stream = userEventsKey(config.REDIS_NAMESPACE);
  const cache = createUserCache(config, {
    redis: cacheClient,
    keyspace,
    repository,
    registry: metrics.registry,
    l1Fanout: config.USER_CACHE_L1 ? { connection: redis.blocking('l1-fanout'), stream } : undefined,
    wrapLoad: overrides.wrapLoad,
    onStateChange: (state, reason) => logger.info({ state, reason }, 'cache gate state changed'),
    onError: (error) => logger.warn({ err: error }, 'L1 fan-out reader error'),
  });
  const service = new UserService({
    repository,
    cache,
    traceContext: () => injectTraceparent(),
    ...(overrides.serviceHooks ? { hooks: overrides.serviceHooks } : {}),
  });

  const stateClient = redis.request('state');
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
  let isShuttingDown = () => false;
  const app = createApp({
    service,
    verifier,
    logger,
    metrics,
    requestBudgetMs: config.REQUEST_BUDGET,
    isShuttingDown: () => isShuttingDown(),
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
          return cache.state === 'closed'
            ? { breaker: cache.state }
            : { status: 'degraded', breaker: cache.state };
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
    service,
    metrics,
    userMetrics,
    setShuttingDown(check) {
      isShuttingDown = check;
    },
    async start() {
      // Not fatal: with Redis down the service starts degraded and the gate keeps probing.
      await waitForDependencies(
        [
          {
            name: 'cache Redis',
            ready: (ms) => waitForReady(cacheClient, ms),
            meanwhile: 'serving from PostgreSQL',
          },
        ],
        { logger },
      );
      await cache.start();
    },
    async close() {
      await cache.close();
      await redis.close();
      await pool.end();
    },
  };
}
