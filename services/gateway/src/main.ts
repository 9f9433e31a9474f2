// The gateway's composition root: config → runtime → public and admin servers → graceful shutdown.
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { waitForReady } from '@redwire/redis-kit';
import { loadGatewayConfig } from './config';
import { createGatewayRuntime } from './gateway.runtime';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const runtime = createGatewayRuntime(config);
  const { logger } = runtime;
  const shutdown = createShutdown({ logger });
  runtime.setShuttingDown(() => shutdown.isShuttingDown());
  shutdown.register('gateway runtime', () => runtime.close());
  shutdown.register('telemetry', () => shutdownTelemetry());

  // Serving without Redis is allowed (failure modes), but start-up waits briefly so the first requests
  // are not all degraded.
  await waitForReady(runtime.redis, 5000).catch((error: unknown) =>
    logger.warn({ err: error }, 'Redis not ready at start-up; rate-limit failure modes apply until it is'),
  );
  await runtime.start();
  const admin = await startHttpServer(runtime.app.admin, {
    port: config.ADMIN_PORT,
    host: config.HOST,
    logger,
  });
  const server = await startHttpServer(runtime.app.handler, {
    ...runtime.app.publicServer,
    port: config.PORT,
    host: config.HOST,
    logger,
  });
  shutdown.addServer(server.server);
  shutdown.addServer(admin.server);
  logger.info(
    { url: server.url, admin: admin.url, policies: runtime.policies.policies.map((p) => p.name) },
    'gateway listening',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
