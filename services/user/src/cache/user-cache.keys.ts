import { type CacheKeySet, CacheKeys } from '@redwire/cache';
import type { Keyspace } from '@redwire/redis-kit';

/** The user cache's entity name: its keys are `user:profile:{<id>}:v1`, `…:lease`, `…:floor`. */
export const USER_CACHE_NAME = 'profile';

/**
 * Version of the cached User shape, part of the entry key: bump it when the shape changes, so a deploy
 * reads its own keys and never parses the previous version's entries.
 */
export const USER_CACHE_SCHEMA_VERSION = 1;

/** The user cache's key layout (the cache builds its keys itself; tests and the bench read them here). */
export class UserCacheKeys {
  readonly #keys: CacheKeys;
  constructor(keyspace: Keyspace) {
    this.#keys = new CacheKeys({ keyspace, name: USER_CACHE_NAME, schemaVersion: USER_CACHE_SCHEMA_VERSION });
  }

  /** The key set of user `id`. */
  forUser(id: string): CacheKeySet {
    return this.#keys.for(id);
  }
}
