import {
  createRedisClient,
  isCluster,
  type RedisClient,
  type RedisTarget,
  waitForReady,
} from '@redwire/redis-kit';

/**
 * A request-path client exactly as the services build theirs (redis-kit: fail fast, command timeout, no
 * offline queue), ready before the first command since it refuses to queue while connecting. A cluster
 * client also opens every master's connection first: without an offline queue, a command sent to a node
 * whose lazy connection is still opening would be rejected.
 */
export async function readyRequestClient(
  target: string | RedisTarget,
  service: string,
): Promise<RedisClient> {
  const client = createRedisClient({ ...(typeof target === 'string' ? { url: target } : target), service });
  await waitForReady(client);
  if (isCluster(client)) await Promise.all(client.nodes('master').map((node) => node.ping()));
  return client;
}

/** QUIT with a fallback to a hard disconnect. */
export async function closeClient(client: { quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}
