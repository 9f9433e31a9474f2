import { Keyspace } from '@redwire/redis-kit';

/** The three keys of one id's cache slot; they share the `{<id>}` hash tag, so scripts work on Cluster. */
export interface CacheKeySet {
  /** The entry (envelope JSON); its name carries the schema version. */
  readonly entry: string;
  /** The fill lease: present while one caller fills the entry. */
  readonly lease: string;
  /** The floor (tombstone): lowest version a fill may still store. */
  readonly floor: string;
}

/** Where a cache's keys live. */
export interface CacheKeysOptions {
  /** The entity name, the key segment after the keyspace prefix (`product`, `profile`). Required. */
  readonly name: string;
  /** The owning service's key builder (its prefix and namespace). @default new Keyspace({ service: 'cache' }) */
  readonly keyspace?: Keyspace | undefined;
  /**
   * Version of the cached value's shape, part of the entry key: a deploy that changes the shape reads its
   * own keys and never parses the previous version's entries. @default 1
   */
  readonly schemaVersion?: number | undefined;
}

/**
 * Every key a cache writes comes from here: `<prefix>:<name>:{<id>}:v<schema>` (entry),
 * `…:{<id>}:lease` and `…:{<id>}:floor`. Ids are percent-encoded by redis-kit's Keyspace, so any string
 * id is safe; an empty one is refused (InvalidKeyError).
 */
export class CacheKeys {
  readonly name: string;
  readonly schemaVersion: number;
  readonly #keyspace: Keyspace;
  readonly #entrySuffix: string;

  constructor(options: CacheKeysOptions) {
    this.#keyspace = options.keyspace ?? new Keyspace({ service: 'cache' });
    this.name = options.name;
    this.schemaVersion = options.schemaVersion ?? 1;
    if (!Number.isSafeInteger(this.schemaVersion) || this.schemaVersion < 1)
      throw new RangeError('schemaVersion must be a positive integer');
    this.#entrySuffix = `v${this.schemaVersion}`;
    // Checks the name once (Keyspace refuses names that are not lowercase identifiers).
    this.#keyspace.tagged(this.name, 'x');
  }

  /** The key set of `id`. */
  for(id: string): CacheKeySet {
    return {
      entry: this.#keyspace.tagged(this.name, id, this.#entrySuffix),
      lease: this.#keyspace.tagged(this.name, id, 'lease'),
      floor: this.#keyspace.tagged(this.name, id, 'floor'),
    };
  }

  /** The entry key alone (the hit path builds only this one). */
  entry(id: string): string {
    return this.#keyspace.tagged(this.name, id, this.#entrySuffix);
  }

  /** A SCAN pattern matching every key of this cache (operations, tests). */
  get pattern(): string {
    return `${this.#keyspace.prefix}:${this.name}:*`;
  }
}
