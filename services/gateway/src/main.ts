// The gateway's composition root: config → runtime → public and admin servers → graceful shutdown.
import { createShutdown, ServerDrainer, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { loadGatewayConfig } from './config';
import { createGatewayRuntime } from './gateway.runtime';

async function main(): Promise<void> {
  const config = loadGatewayConfig(process.env);
  const runtime = createGatewayRuntime(config);
  const { logger } = runtime;
  const shutdown = createShutdown({ logger });
  runtime.setShuttingDown(() => shutdown.isShuttingDown());

  await runtime.start();
  const admin = await startHttpServer(runtime.app.admin, {
    port: config.ADMIN_PORT,
    host: config.HOST,
    logger,
  });
  const adminDrainer = ServerDrainer.for(admin.server);
  const server = await startHttpServer(runtime.app.handler, {
    ...runtime.app.publicServer,
    port: config.PORT,
    host: config.HOST,
    logger,
  });
  shutdown.addServer(server.server);
  // The admin port (/readyz) closes after the public one drained, so a probe sees 503 draining meanwhile
  // instead of a refused connection; it is drained before the runtime closes Redis under it.
  shutdown.register('admin server', () => adminDrainer.drain(1000, logger));
  shutdown.register('gateway runtime', () => runtime.close());
  shutdown.register('telemetry', () => shutdownTelemetry());
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
