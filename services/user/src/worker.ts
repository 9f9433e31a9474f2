// The user worker's composition root (`redwire-user-worker`): outbox relay, the user-cache consumer
// group, BullMQ processors, /healthz + /metrics on METRICS_PORT, and the queue dashboard on
// ADMIN_HOST:ADMIN_PORT (loopback, off unless given a port).
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { loadWorkerConfig } from './config';
import { QUEUE_DASHBOARD_PATH } from './queue-dashboard';
import { createWorkerRuntime } from './worker.runtime';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const runtime = createWorkerRuntime(config);
  const { logger } = runtime;
  const shutdown = createShutdown({ logger });
  shutdown.register('user worker', () => runtime.close());
  shutdown.register('telemetry', () => shutdownTelemetry());

  await runtime.start();
  if (config.METRICS_PORT !== 0) {
    const server = await startHttpServer(runtime.app, {
      port: config.METRICS_PORT,
      host: config.HOST,
      logger,
    });
    shutdown.addServer(server.server);
    logger.info({ url: server.url }, 'user worker metrics listening');
  }
  if (config.ADMIN_PORT !== 0) {
    const admin = await startHttpServer(runtime.adminApp, {
      port: config.ADMIN_PORT,
      host: config.ADMIN_HOST,
      logger,
    });
    shutdown.addServer(admin.server);
    logger.info({ url: `${admin.url}${QUEUE_DASHBOARD_PATH}` }, 'user worker queue dashboard listening');
  }
  logger.info('user worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `user worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
