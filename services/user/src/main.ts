// The user service's composition root: config → runtime → HTTP server → graceful shutdown.
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { loadServiceConfig } from './config';
import { createUserRuntime } from './user.runtime';

async function main(): Promise<void> {
  const config = loadServiceConfig(process.env);
  const runtime = createUserRuntime(config);
  const { logger } = runtime;
  const shutdown = createShutdown({ logger });
  runtime.setShuttingDown(() => shutdown.isShuttingDown());
  shutdown.register('user runtime', () => runtime.close());
  shutdown.register('telemetry', () => shutdownTelemetry());

  await runtime.start();
  const server = await startHttpServer(runtime.app, { port: config.PORT, host: config.HOST, logger });
  shutdown.addServer(server.server);
  logger.info({ url: server.url, l1: config.USER_CACHE_L1 }, 'user service listening');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `user service failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
