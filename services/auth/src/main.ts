// The auth service's composition root: config → runtime → HTTP server → graceful shutdown.
import { createShutdown, startHttpServer } from '@redwire/http-kit';
import { shutdownTelemetry } from '@redwire/observability';
import { createAuthRuntime } from './auth.runtime';
import { loadAuthConfig } from './config';

async function main(): Promise<void> {
  const config = loadAuthConfig(process.env);
  const runtime = createAuthRuntime(config);
  const { logger } = runtime;
  const shutdown = createShutdown({ logger });
  runtime.setShuttingDown(() => shutdown.isShuttingDown());
  shutdown.register('auth runtime', () => runtime.close());
  shutdown.register('telemetry', () => shutdownTelemetry());

  await runtime.start();
  const server = await startHttpServer(runtime.app, { port: config.PORT, host: config.HOST, logger });
  shutdown.addServer(server.server);
  logger.info({ url: server.url, secureCookie: config.SESSION_COOKIE_SECURE }, 'auth service listening');
}

main().catch((error: unknown) => {
  process.stderr.write(
    `auth service failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
