import type { z } from 'zod';
import { env } from './env-schemas';

/**
 * The state Redis of a service, as env keys to spread into its schema: one server (`REDIS_URL`) or a Redis
 * Cluster (`REDIS_CLUSTER_NODES`). Pair with {@link requireOneStateRedis}, which asks for exactly one.
 */
export const stateRedisEnv = {
  /** One state Redis server (noeviction). */
  REDIS_URL: env.redisUrl().optional(),
  /** Redis Cluster seed nodes (`host:port` or `redis://` URLs, comma-separated); instead of REDIS_URL. */
  REDIS_CLUSTER_NODES: env.redisClusterNodes().optional(),
};

/** The two keys of {@link stateRedisEnv} after parsing. */
export interface StateRedisSettings {
  readonly REDIS_URL?: string | undefined;
  readonly REDIS_CLUSTER_NODES?: readonly string[] | undefined;
}

/** Where the state Redis is, in the shape redis-kit's `RedisTarget` takes. */
export type StateRedisTarget = { readonly url: string } | { readonly clusterNodes: readonly string[] };

/**
 * A `superRefine` check: exactly one of REDIS_URL and REDIS_CLUSTER_NODES. It runs even when other keys
 * are bad, so the one error lists this problem with every other.
 *
 * @example
 * const schema = z.object({ ...stateRedisEnv, PORT: env.port() }).superRefine(...requireOneStateRedis);
 */
export const requireOneStateRedis = [
  (config: StateRedisSettings, ctx: z.RefinementCtx) => {
    const url = config.REDIS_URL !== undefined;
    const cluster = config.REDIS_CLUSTER_NODES !== undefined;
    if (!url && !cluster)
      ctx.addIssue({ code: 'custom', path: ['REDIS_URL'], message: 'is required (or REDIS_CLUSTER_NODES)' });
    if (url && cluster)
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_CLUSTER_NODES'],
        message: 'give either REDIS_URL or REDIS_CLUSTER_NODES, not both',
      });
  },
  { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null },
] as const;

/** The state target of a parsed config (validated by {@link requireOneStateRedis}). */
export function stateRedisTarget(config: StateRedisSettings): StateRedisTarget {
  if (config.REDIS_CLUSTER_NODES !== undefined) return { clusterNodes: config.REDIS_CLUSTER_NODES };
  if (config.REDIS_URL !== undefined) return { url: config.REDIS_URL };
  throw new Error('neither REDIS_URL nor REDIS_CLUSTER_NODES is set');
}
