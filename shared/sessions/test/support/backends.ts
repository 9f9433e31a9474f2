import { uniquePrefix } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';
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

export function connect(backend: Backend): Redis | Cluster {
  const servers = sharedServers();
  if (backend === 'standalone') return new Redis(servers.redisUrl, { maxRetriesPerRequest: 1 });
  return new Cluster(servers.clusterNodes, { redisOptions: { maxRetriesPerRequest: 1 } });
}

/** A store and a reader over a fresh key prefix, plus the raw client for inspecting Redis. */
export function sessionsOn(
  redis: Redis | Cluster,
  options: Omit<SessionStoreOptions, 'redis' | 'keyPrefix'> & { touchIntervalMs?: number } = {},
) {
  const keyPrefix = `${uniquePrefix('sess')}:`;
  const { touchIntervalMs, ...storeOptions } = options;
  const store = new SessionStore({ redis, keyPrefix, ...storeOptions });
  const reader = new SessionReader({ redis, keyPrefix, touchIntervalMs: touchIntervalMs ?? 60_000 });
  return { keyPrefix, store, reader };
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
export async function keysUnder(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
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
