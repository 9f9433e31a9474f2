// Entry of the suite's own HTTP targets (baselines and the library-through-Express variants), run as child
// processes so each has its own event loop, like the services they are compared with.
// BENCH_TARGET names the target; BENCH_TARGET_CONFIG carries its JSON config (port, redisUrl, ...).
import { createServer, type Server } from 'node:http';
import { bareTarget } from './bare.target';
import { bareProxyTarget } from './bare-proxy.target';
import { expressSessionTarget } from './express-session.target';
import { hpmProxyTarget } from './hpm-proxy.target';
import { redisGetTarget } from './redis-get.target';
import { sessionReaderTarget } from './session-reader.target';
import type { BuiltTarget, TargetConfig } from './target.types';

const targets: Record<string, (config: TargetConfig) => BuiltTarget | Promise<BuiltTarget>> = {
  bare: bareTarget,
  'redis-get': redisGetTarget,
  'express-session': expressSessionTarget,
  'session-reader': sessionReaderTarget,
  'hpm-proxy': hpmProxyTarget,
  'bare-proxy': bareProxyTarget,
};

async function main(): Promise<void> {
  const name = process.env.BENCH_TARGET ?? '';
  const build = targets[name];
  if (!build) throw new Error(`unknown BENCH_TARGET "${name}"`);
  const config = JSON.parse(process.env.BENCH_TARGET_CONFIG ?? '{}') as TargetConfig;
  const target = await build(config);
  const server: Server = createServer(target.app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => resolve());
  });
  // Express's default keep-alive timeout (5 s) is shorter than a run's idle gaps; the load generator reconnects anyway.
  server.keepAliveTimeout = 65_000;
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    void target.close().finally(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench target failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
