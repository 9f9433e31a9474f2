// @redwire/cache as a new user wires it, through its public entry: the users table the suite seeds, the
// user service's guard of a cached User (so every redwire variant checks values the same way), Prometheus
// metrics and the breaker as in production. Only the loader comes from the user service's runtime (misses
// only: the hit-path cases never call it).
import { createCacheMetrics, EntityCache } from '@redwire/cache';
import { createMetrics } from '@redwire/observability';
import { createRedisClient, isCluster, Keyspace, waitForReady } from '@redwire/redis-kit';
import { isCachedUser, type User } from '@redwire/user';
import type { BenchStack, BenchTopology } from '../stack/bench-stack';
import { sharedUserRuntime } from './user.part';

/** The request-path command timeout the user service runs with by default (REDIS_COMMAND_TIMEOUT). */
const COMMAND_TIMEOUT_MS = 250;

/** An EntityCache of the seeded profiles (started, serving; closed with the stack). */
export async function startProfileCache(
  stack: BenchStack,
  options: {
    readonly l1: boolean;
    readonly maxReadBatch?: number | undefined;
    readonly namespace: string;
    /** The Redis holding the entries. @default 'single' */
    readonly topology?: BenchTopology;
  },
): Promise<EntityCache<User>> {
  const { repository } = await sharedUserRuntime(stack);
  const client = (kind: 'request' | 'blocking') =>
    createRedisClient({
      ...stack.redisTarget(options.topology ?? 'single'),
      service: 'bench',
      role: 'cache',
      kind,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      ...(kind === 'blocking' ? { purpose: 'l1-fanout' } : {}),
    });
  const redis = client('request');
  await waitForReady(redis);
  // Without an offline queue, a command to a master whose lazy connection is still opening is rejected.
  if (isCluster(redis)) await Promise.all(redis.nodes('master').map((node) => node.ping()));
  const keyspace = new Keyspace({ service: 'bench', namespace: options.namespace });
  // As a service registers them: on its metrics registry (default process metrics off: not measured here).
  const { registry } = createMetrics({ service: 'bench-cache', defaultMetrics: false });
  const cache = new EntityCache<User>({
    name: 'profile',
    redis,
    keyspace,
    guard: isCachedUser,
    load: async (id) => {
      const user = await repository.findById(id);
      return user && { value: user, version: user.version };
    },
    // Entries outlive the run, so the hit-path cases never meet an expiry.
    ttlMs: 3_600_000,
    ...(options.maxReadBatch ? { maxReadBatch: options.maxReadBatch } : {}),
    // The fan-out stream gets no entries here: the case measures hits, never writes.
    ...(options.l1
      ? {
          l1: {
            fanout: {
              connection: client('blocking'),
              stream: keyspace.stream('profile-changes'),
              idsOf: (f: Readonly<Record<string, string>>) => f.id,
            },
          },
        }
      : {}),
    breaker: { registry },
    metrics: createCacheMetrics({ registry, prefix: 'bench_cache' }),
  });
  stack.onClose(async () => {
    await cache.close();
    redis.disconnect();
  });
  await cache.start();
  await cache.ready(10_000);
  return cache;
}
