import type { StackUrls } from '@redwire/local-stack';
import type { RedisClient } from '@redwire/redis-kit';
import { Cluster, Redis } from 'ioredis';
import type { StateClusterReport } from '../chaos-report.types';
import { USER_EVENTS_STREAM_KEY } from '../stack-names';
import { clusterMasters, masterServing, measureWaitCost, tagServedBy } from './cluster-failover';

/**
 * The harness's own client of the state Redis, for the invariant checks (streams, consumer groups, the job
 * queue): a Cluster client when the stack runs one, so every key is read on the master that serves it now,
 * also after a failover moved it.
 */
export function stateRedisClient(urls: StackUrls): RedisClient {
  const client: RedisClient = urls.redisClusterNodes
    ? new Cluster(
        urls.redisClusterNodes.map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) })),
        { redisOptions: { maxRetriesPerRequest: 3 } },
      )
    : new Redis(urls.redis, { maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  return client;
}

/**
 * The state cluster's shape and node timeout as its nodes report them, and what `WAIT 1 100` adds to a
 * session-shaped write on the master of the `user-events` stream: measured before the load starts, so the
 * numbers are the cluster's, not the load's.
 */
export async function describeStateCluster(
  nodes: readonly string[],
  waitSamples: number,
): Promise<StateClusterReport> {
  const first = nodes[0] as string;
  const [host, port] = first.split(':');
  const probe = new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1 });
  probe.on('error', () => {});
  let nodeTimeoutMs: number;
  try {
    await probe.connect();
    const reply = (await probe.call('CONFIG', 'GET', 'cluster-node-timeout')) as string[];
    nodeTimeoutMs = Number(reply[1]);
  } finally {
    probe.disconnect();
  }
  const masters = await clusterMasters(first);
  const streamMaster = await masterServing(first, USER_EVENTS_STREAM_KEY);
  return {
    masters: masters.length,
    replicasPerMaster: Math.min(...masters.map((m) => m.replicas.length)),
    nodeTimeoutMs,
    waitCost: await measureWaitCost(streamMaster, await tagServedBy(streamMaster), waitSamples),
  };
}
