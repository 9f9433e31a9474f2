// Runs the example: REDIS_URL (required), PORT (3000), HOST (127.0.0.1), SECURE_COOKIE (true). Ctrl-C stops it.
import { startExample } from './server';

async function main(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('set REDIS_URL, e.g. REDIS_URL=redis://127.0.0.1:6379');
  const example = await startExample({
    redisUrl,
    port: process.env.PORT ? Number(process.env.PORT) : undefined,
    host: process.env.HOST,
    secureCookie: process.env.SECURE_COOKIE !== 'false',
  });
  process.stdout.write(`sessions-express listening on ${example.url}\n`);
  const stop = () => {
    example.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sessions-express failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
