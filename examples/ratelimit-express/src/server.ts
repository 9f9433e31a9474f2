import type { AddressInfo } from 'node:net';
import { RateLimiter } from '@redwire/ratelimit';
import { Redis } from 'ioredis';
import { createApp, POLICIES } from './app';

/** Where the example connects and listens. */
export interface ExampleOptions {
  /** `redis://[user:password@]host:port[/db]`. Required. */
  readonly redisUrl: string;
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/** A running example: its address, and `close()` to stop serving and disconnect. */
export interface RunningExample {
  readonly url: string;
  close(): Promise<void>;
}

/** Connects to Redis, builds the limiter and the app, and listens. */
export async function startExample(options: ExampleOptions): Promise<RunningExample> {
  // Fail fast and never re-send: the limiter refuses a client that could spend quota twice.
  const redis = new Redis(options.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
  });
  // Reconnection errors are the limiter's business (each policy's onRedisError); do not crash on them.
  redis.on('error', () => {});
  await redis.connect();
  const limiter = new RateLimiter({ redis, policies: [...POLICIES] });
  const server = createApp(limiter).listen(options.port ?? 3000, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      limiter.close();
      redis.disconnect();
    },
  };
}
