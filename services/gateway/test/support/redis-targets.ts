import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';

/** A Redis deployment the limiter suite runs against. */
export interface RedisTarget {
  readonly name: 'standalone' | 'cluster';
  connect(): Redis | Cluster;
}

/** The shared single node and the shared 3-node cluster: the limiter contract suite runs over both. */
export function redisTargets(): RedisTarget[] {
  const servers = sharedServers();
  return [
    {
      name: 'standalone',
      connect: () => new Redis(servers.redisUrl, { maxRetriesPerRequest: 1 }),
    },
    {
      name: 'cluster',
      connect: () => new Cluster(servers.clusterNodes, { redisOptions: { maxRetriesPerRequest: 1 } }),
    },
  ];
}
