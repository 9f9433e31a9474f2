import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';

/**
 * A request-path client exactly as the services build theirs (redis-kit: fail fast, command timeout, no
 * offline queue), ready before the first command since it refuses to queue while connecting.
 */
export async function readyRequestClient(url: string, service: string): Promise<RedisClient> {
  const client = createRedisClient({ url, service });
  await waitForReady(client);
  return client;
}

/** QUIT with a fallback to a hard disconnect. */
export async function closeClient(client: { quit(): Promise<unknown>; disconnect(): void }): Promise<void> {
  await client.quit().catch(() => client.disconnect());
}
