// The user worker's composition root (`redwire-user-worker`): outbox relay, the user-cache consumer
// group, BullMQ processors, and /healthz + /metrics on METRICS_PORT.
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { loadWorkerConfig } from './config';
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
  logger.info('user worker started');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `user worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
