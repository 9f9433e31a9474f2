import { stateRedisTarget } from '@redwire/config';
// The queue dashboard alone (`dist/queues.js`): the worker's bull-board over the user service's queues,
// without processing any job. Compose's `tools` profile runs it in its own container, because a port
// bound to the worker's loopback cannot be published; the worker serves the same app on its ADMIN_PORT.
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { createLogger } from '@redwire/observability';
import { Keyspace, RedisConnections } from '@redwire/redis-kit';
import { Queue } from 'bullmq';
import { loadQueuesConfig } from './config';
import { CACHE_INVALIDATION_QUEUE, OUTBOX_MAINTENANCE_QUEUE, queuePrefix } from './jobs/queues';
import { createQueueDashboard, QUEUE_DASHBOARD_PATH } from './queue-dashboard';

async function main(): Promise<void> {
  const config = loadQueuesConfig(process.env);
  const logger = createLogger({ service: 'redwire-user-queues', level: config.LOG_LEVEL });
  const redis = new RedisConnections({
    service: 'user-queues',
    state: stateRedisTarget(config),
    // The dashboard is not on a request path: its commands may wait as long as the worker's.
    client: { commandTimeoutMs: 2000 },
    onError: (error, connection) => logger.debug({ err: error, connection }, 'redis connection error'),
  });
  const keyspace = new Keyspace({
    service: 'user',
    ...(config.REDIS_NAMESPACE ? { namespace: config.REDIS_NAMESPACE } : {}),
  });
  const queues = [CACHE_INVALIDATION_QUEUE, OUTBOX_MAINTENANCE_QUEUE].map(
    (name) => new Queue(name, { connection: redis.request('state'), prefix: queuePrefix(keyspace) }),
  );
  for (const queue of queues) queue.on('error', (error) => logger.warn({ err: error }, 'BullMQ queue error'));

  const shutdown = createShutdown({ logger });
  shutdown.register('queues', async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await redis.close();
  });
  const server = await startHttpServer(
    createQueueDashboard({ queues, readOnly: config.QUEUE_DASHBOARD_READ_ONLY }),
    { port: config.ADMIN_PORT, host: config.ADMIN_HOST, logger },
  );
  shutdown.addServer(server.server);
  logger.info({ url: `${server.url}${QUEUE_DASHBOARD_PATH}` }, 'queue dashboard listening');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `queue dashboard failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
