import { startPostgresServer, startRedisCluster, startRedisServer } from '@redwire/launchers';
import type { TestProject } from 'vitest/node';
import type { SharedTestServers } from './shared-servers';

/**
 * Starts the servers every test file shares: one Redis (debug commands on), one 3-node Redis Cluster and
 * one PostgreSQL, all on free loopback ports and thrown away at the end. Never the developer's own.
 */
export default async function setup(project: TestProject) {
  const [redis, cluster, postgres] = await Promise.all([
    startRedisServer({ enableDebug: true }),
    startRedisCluster(3),
    startPostgresServer(),
  ]);
  const servers: SharedTestServers = {
    redisUrl: redis.url,
    clusterNodes: cluster.nodes.map((n) => ({ host: n.host, port: n.port })),
    postgresAdminUrl: postgres.adminUrl,
  };
  project.provide('redwire', servers);
  return async () => {
    await Promise.all([redis.stop(), cluster.stop(), postgres.stop({ remove: true })]);
  };
}
