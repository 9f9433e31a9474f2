import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import type { Redis } from 'ioredis';
import {
  newRoutingTag,
  type SessionAccount,
  SessionReader,
  SessionStore,
  type SessionStoreOptions,
} from '../../src';

/** The deployments every behaviour is checked on: one node and the 3-node cluster. */
export const backends = ['standalone', 'cluster'] as const;
export type Backend = (typeof backends)[number];

/** A request-path client as services build it, with a deadline generous enough for a loaded CI box. */
export async function connect(backend: Backend): Promise<RedisClient> {
  const servers = sharedServers();
  const settings = { service: 'sessions-test', commandTimeoutMs: 5000 };
  const client =
    backend === 'standalone'
      ? createRedisClient({ url: servers.redisUrl, ...settings })
      : createRedisClient({ clusterNodes: servers.clusterNodes, ...settings });
  await waitForReady(client);
  // A request-path Cluster client (no offline queue) rejects commands sent to a node whose lazy connection
  // is still being opened; open every master's connection first.
  // TODO(redis-kit): waitForReady could do this for Cluster clients.
  if ('nodes' in client) await Promise.all(client.nodes('master').map((node) => node.ping()));
  return client;
}

/** A store and a reader over a fresh key prefix, plus the raw client for inspecting Redis. */
export function sessionsOn(
  redis: RedisClient,
  options: Omit<SessionStoreOptions, 'redis' | 'namespace'> & { touchIntervalMs?: number } = {},
) {
  const namespace = uniquePrefix('sess');
  const { touchIntervalMs, ...storeOptions } = options;
  const store = new SessionStore({ redis, namespace, ...storeOptions });
  const reader = new SessionReader({ redis, namespace, touchIntervalMs: touchIntervalMs ?? 60_000 });
  const keyPrefix = `${namespace}:auth:session:`;
  return { namespace, keyPrefix, store, reader };
}

/** A user's account facts as auth would read them from PostgreSQL. */
export function anAccount(overrides: Partial<SessionAccount> = {}): SessionAccount {
  return {
    userId: crypto.randomUUID(),
    tag: newRoutingTag(),
    authVersion: 1,
    revision: 1,
    role: 'user',
    tier: 'free',
    ...overrides,
  };
}

/** Every key under `prefix` on every master (test inspection only: production code never scans). */
export async function keysUnder(redis: RedisClient, prefix: string): Promise<string[]> {
  const nodes: Redis[] = 'nodes' in redis ? redis.nodes('master') : [redis];
  const all: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      all.push(...batch);
    } while (cursor !== '0');
  }
  return all.sort();
}

export async function created(store: SessionStore, account: SessionAccount) {
  const result = await store.create(account, { userAgent: 'vitest', ip: '127.0.0.1' });
  if (!result.created) throw new Error('expected the session to be created');
  return result;
}
