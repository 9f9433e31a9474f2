import type { RequestListener } from 'node:http';

/** What every target receives (JSON in BENCH_TARGET_CONFIG); each target reads the fields it needs. */
export interface TargetConfig {
  readonly port: number;
  readonly redisUrl?: string;
  /** A Redis Cluster's seed nodes, used instead of `redisUrl` by the targets that take a cluster. */
  readonly clusterNodes?: readonly { host: string; port: number }[];
  /** The Redis key a `redis-get` target reads. */
  readonly key?: string;
  /** Where a proxy target forwards to. */
  readonly upstream?: string;
  /** Session namespace for the `session-reader` target. */
  readonly namespace?: string;
}

/** A target's request listener (an Express app is one) plus what to close on SIGTERM. */
export interface BuiltTarget {
  readonly app: RequestListener;
  close(): Promise<void>;
}

/** The user JSON every fixed route answers (the shape and size of a real GET /users/:id body). */
export const SAMPLE_USER = Object.freeze({
  id: '0195f1c2-7a3b-7cde-8f01-23456789abcd',
  name: 'Bench Mark',
  bio: 'A profile of ordinary size, used by every variant so response bodies stay comparable.',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  version: 1,
});

export function required<T>(value: T | undefined, name: string): T {
  if (value === undefined) throw new Error(`target config: ${name} is required`);
  return value;
}
