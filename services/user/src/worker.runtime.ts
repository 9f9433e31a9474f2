import { setTimeout as sleep } from 'node:timers/promises';
import { stateRedisTarget } from '@redwire/config';
import { USER_CACHE_GROUP, USER_EVENTS_STREAM, userEventsKey } from '@redwire/contracts';
import { healthzHandler, waitForDependencies } from '@redwire/http-kit';
import {
  bullmqTelemetry,
  createLogger,
  createMetrics,
  type Logger,
  type Metrics,
} from '@redwire/observability';
import { createPool } from '@redwire/postgres-kit';
import {
  Keyspace,
  pendingCount,
  RedisConnections,
  StreamConsumer,
  StreamPublisher,
  waitForReady,
  withDeadline,
} from '@redwire/redis-kit';
import { Queue, Worker } from 'bullmq';
import express, { type Express } from 'express';
import type pg from 'pg';
import { Counter, Histogram } from 'prom-client';
import { createUserCacheInvalidator } from './cache/user-cache';
import { cacheRedisTarget, type WorkerConfig } from './config';
import { cacheInvalidationHandler } from './events/cache-invalidation.consumer';
import { enqueueInvalidateUser, invalidateUserProcessor } from './jobs/invalidate-user.job';
import { OUTBOX_CLEANUP_JOB, outboxCleanupProcessor, scheduleOutboxCleanup } from './jobs/outbox-cleanup.job';
import { CACHE_INVALIDATION_QUEUE, OUTBOX_MAINTENANCE_QUEUE, queuePrefix } from './jobs/queues';
import { OutboxRelay } from './outbox/outbox.relay';
import { createQueueDashboard } from './queue-dashboard';
import { registerBacklogGauges, registerQueueGauge, SCRAPE_DEADLINE_MS } from './user.metrics';

/** How often the outbox cleanup runs. */
const CLEANUP_EVERY_MS = 10 * 60_000;

/** Test seams of {@link createWorkerRuntime}. */
export interface WorkerRuntimeOverrides {
  readonly logger?: Logger;
}

/** The worker's object graph: outbox relay, `user-cache` consumer, BullMQ processors, metrics app. */
export interface WorkerRuntime {
  readonly logger: Logger;
  readonly pool: pg.Pool;
  readonly redis: RedisConnections;
  readonly relay: OutboxRelay;
  readonly invalidationQueue: Queue;
  readonly metrics: Metrics;
  /** /healthz and /metrics, served on METRICS_PORT by worker.ts. */
  readonly app: Express;
  /** The queue dashboard (`/queues`) and /healthz, served on ADMIN_HOST:ADMIN_PORT by worker.ts. */
  readonly adminApp: Express;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Builds (does not start) the user worker. */
export function createWorkerRuntime(
  config: WorkerConfig,
  overrides: WorkerRuntimeOverrides = {},
): WorkerRuntime {
  const logger =
    overrides.logger ?? createLogger({ service: 'redwire-user-worker', level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: 'redwire-user-worker' });
  const published = new Counter({
    name: 'redwire_user_outbox_published_total',
    help: 'Outbox events published to the user-events stream.',
    registers: [metrics.registry],
  });
  const publishLag = new Histogram({
    name: 'redwire_user_outbox_publish_lag_seconds',
    help: 'Seconds from an outbox row being written to its publish on the user-events stream.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [metrics.registry],
  });

  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: Math.min(config.DB_POOL_MAX, 5),
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT,
    connectionTimeoutMs: config.DB_CONNECT_TIMEOUT,
    applicationName: 'redwire-user-worker',
    onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'),
  });
  const cacheTarget = cacheRedisTarget(config);
  if (cacheTarget.onStateCluster)
    logger.warn(
      'no CACHE_REDIS_URL: the cache role shares the state Redis Cluster (works; a single evictable node is recommended)',
    );
  const redis = new RedisConnections({
    service: 'user-worker',
    state: stateRedisTarget(config),
    cache: cacheTarget.target,
    client: { commandTimeoutMs: config.WORKER_REDIS_COMMAND_TIMEOUT },
    onError: (error, connection) => logger.debug({ err: error, connection }, 'redis connection error'),
  });
  const keyspace = new Keyspace({
    service: 'user',
    ...(config.REDIS_NAMESPACE ? { namespace: config.REDIS_NAMESPACE } : {}),
  });
  const stream = userEventsKey(config.REDIS_NAMESPACE);
  const telemetry = bullmqTelemetry('redwire-user-worker');
  const prefix = queuePrefix(keyspace);

  const relay = new OutboxRelay({
    pool,
    listenConnectionString: config.DATABASE_URL,
    publisher: new StreamPublisher({
      client: redis.request('state'),
      stream,
      maxLen: config.USER_EVENTS_MAXLEN,
      destinationName: USER_EVENTS_STREAM,
    }),
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL,
    onPublished: (_event, lagSeconds) => {
      published.inc();
      publishLag.observe(lagSeconds);
    },
    onError: (error) => logger.warn({ err: error }, 'outbox relay error'),
  });

  const invalidator = createUserCacheInvalidator(config, {
    redis: redis.request('cache'),
    keyspace,
    registry: metrics.registry,
  });
  // Producer on the fail-fast client: add() throws while Redis is down instead of queueing in memory.
  const invalidationQueue = new Queue(CACHE_INVALIDATION_QUEUE, {
    connection: redis.request('state'),
    prefix,
    telemetry,
  });
  const consumer = new StreamConsumer({
    connection: redis.blocking('user-events'),
    stream,
    group: USER_CACHE_GROUP,
    destinationName: USER_EVENTS_STREAM,
    handler: cacheInvalidationHandler({
      invalidator,
      enqueueRetry: (data) => enqueueInvalidateUser(invalidationQueue, data),
      onMalformed: (id) => logger.warn({ messageId: id }, 'skipped a malformed user-events entry'),
    }),
    registry: metrics.registry,
    metricsClient: redis.request('state'),
    metricsTimeoutMs: SCRAPE_DEADLINE_MS,
    onError: (error, info) => logger.warn({ err: error, ...info }, 'user-cache consumer error'),
  });
  const maintenanceQueue = new Queue(OUTBOX_MAINTENANCE_QUEUE, {
    connection: redis.request('state'),
    prefix,
    telemetry,
  });
  const workers: Worker[] = [];
  const closing = new AbortController();

  registerBacklogGauges(metrics.registry, {
    outboxBacklog: async () => {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT count(*) AS n FROM users.outbox WHERE published_at IS NULL',
      );
      return Number(rows[0]?.n ?? 0);
    },
    streamPending: () => pendingCount(redis.request('state'), stream, USER_CACHE_GROUP),
  });
  registerQueueGauge(metrics.registry, [invalidationQueue, maintenanceQueue]);

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', healthzHandler());
  app.get('/metrics', metrics.metricsHandler);

  const adminApp = createQueueDashboard({
    queues: [invalidationQueue, maintenanceQueue],
    readOnly: config.QUEUE_DASHBOARD_READ_ONLY,
  });

  return {
    logger,
    pool,
    redis,
    relay,
    invalidationQueue,
    metrics,
    app,
    adminApp,
    async start() {
      await waitForDependencies(
        [
          {
            name: 'state Redis',
            ready: (ms) => waitForReady(redis.request('state'), ms),
            meanwhile: 'the relay and the consumer retry',
          },
        ],
        { logger },
      );
      // The group first, so events the relay publishes from now on are all delivered to it.
      await consumer.start();
      relay.start();
      const onFailed = (job: { name?: string; id?: string } | undefined, error: Error) =>
        logger.warn({ err: error, job: job?.name, jobId: job?.id }, 'job failed');
      const invalidations = new Worker(CACHE_INVALIDATION_QUEUE, invalidateUserProcessor(invalidator), {
        connection: redis.blocking('bullmq-invalidation'),
        prefix,
        concurrency: 8,
        telemetry,
      });
      const maintenance = new Worker(
        OUTBOX_MAINTENANCE_QUEUE,
        outboxCleanupProcessor(pool, config.OUTBOX_RETENTION),
        {
          connection: redis.blocking('bullmq-maintenance'),
          prefix,
          concurrency: 1,
          telemetry,
        },
      );
      for (const worker of [invalidations, maintenance]) {
        worker.on('failed', onFailed);
        worker.on('error', (error) => logger.warn({ err: error }, 'BullMQ worker error'));
        workers.push(worker);
      }
      invalidationQueue.on('error', (error) => logger.warn({ err: error }, 'BullMQ queue error'));
      maintenanceQueue.on('error', (error) => logger.warn({ err: error }, 'BullMQ queue error'));
      // In the background: a Redis hiccup at start-up must not keep the relay and consumer from running.
      void retrying(() => scheduleOutboxCleanup(maintenanceQueue, CLEANUP_EVERY_MS), closing.signal).then(
        () => logger.info({ job: OUTBOX_CLEANUP_JOB, everyMs: CLEANUP_EVERY_MS }, 'outbox cleanup scheduled'),
        () => {},
      );
    },
    async close() {
      closing.abort();
      await relay.close();
      await consumer.close();
      await Promise.all(workers.map((w) => closeWorker(w)));
      await invalidationQueue.close();
      await maintenanceQueue.close();
      await redis.close();
      await pool.end();
    },
  };
}

/** How long a BullMQ worker may take to finish its active jobs on close before it is forced. */
const WORKER_CLOSE_MS = 5000;

/**
 * Closes a BullMQ worker, forcing it after WORKER_CLOSE_MS: its own close() waits for active jobs with no
 * deadline, and a job stuck on an unreachable Redis would hold the shutdown forever. A forced job is
 * retried after the stall check (its work is idempotent).
 */
async function closeWorker(worker: Worker): Promise<void> {
  await withDeadline(worker.close(), WORKER_CLOSE_MS).catch(() => worker.close(true));
}

/** Runs `work` until it succeeds (back-off 0.5 s doubling to 30 s) or `signal` aborts. */
async function retrying(work: () => Promise<void>, signal: AbortSignal): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      await sleep(Math.min(500 * 2 ** attempt, 30_000), undefined, { signal });
    }
  }
}
