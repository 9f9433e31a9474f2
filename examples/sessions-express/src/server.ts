import type { AddressInfo } from 'node:net';
import { SessionCookie, SessionReader, SessionStore } from '@redwire/sessions';
import { Redis } from 'ioredis';
import { createApp } from './app';
import { Users } from './users';

/** Where the example connects and listens. */
export interface ExampleOptions {
  /** `redis://[user:password@]host:port[/db]`. Required. */
  readonly redisUrl: string;
  /** 0 picks a free port. @default 3000 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** `__Host-sid; Secure` (https, or http://localhost in a browser); false: `sid` for plain http. @default true */
  readonly secureCookie?: boolean;
}

/** A running example: its address, and `close()` to stop serving and disconnect. */
export interface RunningExample {
  readonly url: string;
  close(): Promise<void>;
}

/** Connects to Redis, builds the store, the reader and the app, and listens. */
export async function startExample(options: ExampleOptions): Promise<RunningExample> {
  // Fail fast while disconnected: a request then gets 503 at once instead of waiting out the deadline.
  const redis = new Redis(options.redisUrl, { lazyConnect: true, enableOfflineQueue: false });
  // Reconnection errors surface as 503s from the middleware; do not crash on them.
  redis.on('error', () => {});
  await redis.connect();
  const store = new SessionStore({ redis });
  const reader = new SessionReader({ redis });
  const cookie = new SessionCookie({ secure: options.secureCookie ?? true });
  const app = createApp({ store, reader, cookie, users: new Users() });
  const server = app.listen(options.port ?? 3000, options.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve).once('error', reject);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      reader.close();
      redis.disconnect();
    },
  };
}
