import type { Keyspace } from '@redwire/redis-kit';
import { ENVELOPE_SCHEMA_VERSION } from './cache-envelope';

/** The three keys of one user's cache slot; they share the `{<id>}` hash tag, so scripts work on Cluster. */
export interface UserCacheKeySet {
  /** The entry (envelope JSON); its name carries the envelope schema version. */
  readonly entry: string;
  /** The fill lease: present while one caller fills the entry. */
  readonly lease: string;
  /** The tombstone: lowest row version a fill may still store. */
  readonly floor: string;
}

/** Every cache key the user service writes comes from here. */
export class UserCacheKeys {
  readonly #keys: Keyspace;
  constructor(keyspace: Keyspace) {
    this.#keys = keyspace;
  }

  /** The key set of user `id` (already validated as a UUID by the caller). */
  forUser(id: string): UserCacheKeySet {
    return {
      entry: this.#keys.tagged('profile', id, `v${ENVELOPE_SCHEMA_VERSION}`),
      lease: this.#keys.tagged('profile', id, 'lease'),
      floor: this.#keys.tagged('profile', id, 'floor'),
    };
  }
}
