import { withDeadline } from '@redwire/deadline';
import { isCluster, type RedisClient } from './redis-client.factory';

/** The outcome of a readiness check, shaped for a /readyz body. */
export interface RedisHealth {
  ok: boolean;
  /** Round-trip time of the slowest PING (every master on Cluster), in milliseconds. */
  latencyMs: number;
  /** Why the check failed (no secrets: an error message or "timed out"). */
  error?: string;
}

/** Options for `checkRedis`. */
export interface RedisHealthOptions {
  /** Give up after this long, whatever the client's own timeouts. @default 1000 */
  timeoutMs?: number;
}

/**
 * PINGs the server (every master, on Cluster) with a deadline: what a /readyz handler needs. Never throws.
 */
export async function checkRedis(
  client: RedisClient,
  options: RedisHealthOptions = {},
): Promise<RedisHealth> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const started = performance.now();
  try {
    const targets = isCluster(client) ? client.nodes('master') : [client];
    if (targets.length === 0) throw new Error('no cluster masters known');
    await withDeadline(Promise.all(targets.map((node) => node.ping())), timeoutMs);
    return { ok: true, latencyMs: performance.now() - started };
  } catch (error) {
    return {
      ok: false,
      latencyMs: performance.now() - started,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Resolves once the client is ready (connected, authenticated, loading done), or rejects after
 * `timeoutMs` with the last connection error. The client keeps reconnecting in the background either way.
 */
export function waitForReady(client: RedisClient, timeoutMs = 5000): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      lastError = error;
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('Redis connection ended before it became ready'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(`Redis not ready after ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`, {
          cause: lastError,
        }),
      );
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
    if (client.status === 'wait') client.connect().catch(() => {});
  });
}
