import path from 'node:path';
import {
  Coalescer,
  compareAndDelete,
  defineScript,
  keySlot,
  type RedisClient,
  runScript,
} from '@redwire/redis-kit';
import type { CacheKeys } from './cache-keys';

const scripts = {
  readOrLease: defineScript({ file: path.join(__dirname, 'read-or-lease-3.lua') }),
  fill: defineScript({ file: path.join(__dirname, 'fill-3.lua') }),
  invalidate: defineScript({ file: path.join(__dirname, 'invalidate-3.lua') }),
} as const;

/** The cache's Lua scripts (exported for the SHA check against SCRIPT LOAD). */
export const cacheScripts = scripts;

/** Reply of {@link CacheStore.readOrLease}. */
export type LeaseReply =
  | { kind: 'hit'; raw: string }
  | { kind: 'wait'; leaseTtlLeftMs: number }
  | { kind: 'lease'; token: string; floor: number };

/** Outcome of the fill script. */
export type FillReply = 'stored' | 'lease_lost' | 'version_rejected';

/** Outcome of an invalidation. */
export type InvalidateOutcome = 'invalidated' | 'skipped';

/** Thrown when a script answers something its wrapper does not know (a bug or a foreign script). */
export class UnexpectedReplyError extends Error {
  override readonly name = 'UnexpectedReplyError';
  constructor(script: string) {
    super(`unexpected reply from the ${script} script`);
  }
}

/** TTLs a fill stores an entry with (already jittered and capped by the caller). */
export interface FillTtls {
  /** Until this passes the entry is served as a HIT. */
  readonly freshMs: number;
  /** The key's lifetime (fresh + grace): how long it can still be served STALE. */
  readonly lifetimeMs: number;
}

/**
 * The cache's Redis operations: one command each. A hit is a plain GET (or its share of an MGET); misses go
 * through the lease script; fills and invalidations are guarded by leases, versions and the floor
 * (tombstone).
 */
export class CacheStore {
  readonly #client: RedisClient;
  readonly #keys: CacheKeys;
  readonly #reads: Coalescer<string, string | null> | undefined;

  /**
   * `maxReadBatch`: the GETs of one event-loop turn leave as one MGET of at most this many keys (redis-kit's
   * Coalescer); 1 sends one GET per read. On a cluster an MGET holds one hash slot's keys only: the reads
   * of the same id (each id is its own hash tag).
   */
  constructor(client: RedisClient, keys: CacheKeys, options: { maxReadBatch: number }) {
    this.#client = client;
    this.#keys = keys;
    const maxBatch = options.maxReadBatch;
    // A read is queued after its request arrived and sent at the end of the turn: it can only see a newer
    // entry than a GET sent at once, never an older one, so the read path's guarantees hold.
    this.#reads =
      maxBatch === 1
        ? undefined
        : new Coalescer({
            maxBatch,
            ...(client.isCluster ? { groupOf: keySlot } : {}),
            // A lone read stays a plain GET: an idle service's hit path is exactly one GET.
            send: async (entryKeys) =>
              entryKeys.length === 1 ? [await client.get(entryKeys[0] as string)] : client.mget(...entryKeys),
          });
  }

  /** The raw entry, or null. The whole cost of a hit: one GET, or a share of one MGET. */
  async get(id: string): Promise<string | null> {
    const key = this.#keys.entry(id);
    return this.#reads ? this.#reads.submit(key) : this.#client.get(key);
  }

  /** Returns the entry if it appeared (mode 'miss'), or grants the lease, or says who holds it. */
  async readOrLease(
    id: string,
    token: string,
    leaseTtlMs: number,
    mode: 'miss' | 'refresh',
  ): Promise<LeaseReply> {
    const k = this.#keys.for(id);
    const reply = await runScript(
      this.#client,
      scripts.readOrLease,
      [k.entry, k.lease, k.floor],
      [token, leaseTtlMs, mode],
    );
    if (Array.isArray(reply) && reply.length === 2) {
      const [kind, value] = reply as [unknown, unknown];
      if (kind === 'hit' && typeof value === 'string') return { kind: 'hit', raw: value };
      if (kind === 'wait' && typeof value === 'number') return { kind: 'wait', leaseTtlLeftMs: value };
      if (kind === 'lease' && typeof value === 'string')
        return { kind: 'lease', token, floor: Number(value) };
    }
    throw new UnexpectedReplyError('read-or-lease');
  }

  /** Stores `dataJson` at `version` (0 = negative entry) if the lease `token` is still ours. */
  async fill(
    id: string,
    token: string,
    version: number,
    dataJson: string,
    ttls: FillTtls,
  ): Promise<FillReply> {
    const k = this.#keys.for(id);
    const reply = await runScript(
      this.#client,
      scripts.fill,
      [k.entry, k.lease, k.floor],
      [token, version, dataJson, ttls.freshMs, ttls.lifetimeMs, this.#keys.schemaVersion],
    );
    if (reply === 'stored' || reply === 'lease_lost' || reply === 'version_rejected') return reply;
    throw new UnexpectedReplyError('fill');
  }

  /** Gives the lease back (only if still ours), so a waiter may take over at once after a failed load. */
  async release(id: string, token: string): Promise<void> {
    await compareAndDelete(this.#client, this.#keys.for(id).lease, token);
  }

  /**
   * Deletes the entry and any lease unless the entry already holds `version` or newer, and raises the
   * floor to `version`. `version` 0 deletes unconditionally.
   */
  async invalidate(id: string, version: number, floorTtlMs: number): Promise<InvalidateOutcome> {
    const k = this.#keys.for(id);
    const reply = await runScript(
      this.#client,
      scripts.invalidate,
      [k.entry, k.lease, k.floor],
      [version, floorTtlMs],
    );
    if (reply === 'invalidated' || reply === 'skipped') return reply;
    throw new UnexpectedReplyError('invalidate');
  }
}
