import type { Keyspace } from '@redwire/redis-kit';

/** Queue of per-user cache re-invalidations (retries with back-off, deduplicated per user). */
export const CACHE_INVALIDATION_QUEUE = 'cache-invalidation';

/** Queue of scheduled outbox maintenance. */
export const OUTBOX_MAINTENANCE_QUEUE = 'outbox-maintenance';

/**
 * BullMQ key prefix: inside the service keyspace (ACLs grant `user:*`), with a `{jobs}` hash tag so every
 * key of a queue lands in one Cluster slot.
 */
export function queuePrefix(keyspace: Keyspace): string {
  return `${keyspace.prefix}:{jobs}`;
}
