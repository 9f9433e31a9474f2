import { pollUntil } from '@redwire/launchers';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import type { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import {
  createRedisClient,
  isCluster,
  Keyspace,
  type RedisClient,
  type RedisClientSettings,
  type RedisTarget,
  waitForReady,
} from '../../src/index';

/** The two deployments every contract suite runs against. */
export const TOPOLOGIES = ['single', 'cluster'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export function targetOf(topology: Topology): RedisTarget {
  const servers = sharedServers();
  return topology === 'single' ? { url: servers.redisUrl } : { clusterNodes: servers.clusterNodes };
}

/**
 * Per-suite helpers: clients on the shared servers (disconnected after the suite) and a keyspace with a
 * random namespace, so suites sharing a server never see each other's keys.
 */
export function useRedis(topology: Topology) {
  const created: RedisClient[] = [];
  const target = targetOf(topology);
  const namespace = uniquePrefix('rk');
  const keys = new Keyspace({ service: 'kit', namespace });
  afterAll(() => {
    for (const client of created) client.disconnect();
  });

  async function client(settings: Partial<RedisClientSettings> = {}): Promise<RedisClient> {
    const created_ = createRedisClient({ ...target, service: 'kit-test', ...settings });
    created.push(created_);
    await waitForReady(created_, 10_000);
    return created_;
  }

  return { topology, target, namespace, keys, client };
}

/** Every master of the client (the client itself on a single node). */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, everyMs = 25) {
  await pollUntil(check, { timeoutMs, intervalMs: everyMs });
}
