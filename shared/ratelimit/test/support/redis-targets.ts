import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';

/** A Redis deployment the limiter suite runs against. */
export interface RedisTarget {
  readonly name: 'standalone' | 'cluster';
  /** A plain ioredis client, for the store-level tests (the store takes any client). */
  connect(): Redis | Cluster;
  /**
   * A request-path client as the `RateLimiter` requires (redis-kit: no offline queue, never re-sends),
   * ready. The command timeout is generous: these tests are about decisions, on a shared CPU.
   */
  connectRequestClient(): Promise<RedisClient>;
}

/** The shared single node and the shared 3-node cluster: the limiter contract suite runs over both. */
export function redisTargets(): RedisTarget[] {
  const servers = sharedServers();
  const ready = async (client: RedisClient) => {
    await waitForReady(client, 10_000);
    return client;
  };
  return [
    {
      name: 'standalone',
      connect: () => new Redis(servers.redisUrl, { maxRetriesPerRequest: 1 }),
      connectRequestClient: () =>
        ready(
          createRedisClient({ url: servers.redisUrl, service: 'ratelimit-test', commandTimeoutMs: 5000 }),
        ),
    },
    {
      name: 'cluster',
      connect: () => new Cluster(servers.clusterNodes, { redisOptions: { maxRetriesPerRequest: 1 } }),
      connectRequestClient: () =>
        ready(
          createRedisClient({
            clusterNodes: servers.clusterNodes,
            service: 'ratelimit-test',
            commandTimeoutMs: 5000,
          }),
        ),
    },
  ];
}
