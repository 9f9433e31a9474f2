import type { RedisClient } from '../connection/redis-client.factory';

const ending = new WeakMap<RedisClient, Promise<void>>();

/**
 * Drops the connection(s) now (pending commands reject, a BLOCK is interrupted) and resolves once the
 * client has ended, or after `timeoutMs`. Idempotent: a second call returns the first call's promise.
 * (ioredis Cluster emits `end` once, then may report `close` again; calling disconnect() twice leaves it
 * "disconnecting" for good, hence the memo.)
 */
export function disconnectNow(client: RedisClient, timeoutMs = 1000): Promise<void> {
  let ended = ending.get(client);
  if (ended) return ended;
  if (client.status === 'end') return Promise.resolve();
  ended = new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    function done() {
      clearTimeout(timer);
      client.off('end', done);
      resolve();
    }
    client.once('end', done);
    client.disconnect();
  });
  ending.set(client, ended);
  return ended;
}

/** True once `disconnectNow` was called on the client (or it ended). */
export function isDisconnected(client: RedisClient): boolean {
  return ending.has(client) || client.status === 'end';
}
