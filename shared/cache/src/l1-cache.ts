import { LRUCache } from 'lru-cache';

/** Options of {@link L1Cache}. */
export interface L1CacheOptions {
  /** Entries kept (LRU beyond that). @default 10000 */
  maxEntries?: number;
  /**
   * The staleness bound: an entry is served at most this long after the Redis or PostgreSQL read that
   * produced it was issued, even if this instance misses an invalidation event. @default 1000
   */
  ttlMs?: number;
  /** Monotonic clock in ms, for tests. @default performance.now */
  now?: () => number;
}

/** What the L1 keeps per id: the value, or undefined for "no such id", and its version. */
export interface L1Entry<V> {
  readonly value: V | undefined;
  readonly version: number;
}

interface Stored<V> extends L1Entry<V> {
  readonly expiresAt: number;
}

/**
 * The optional in-process cache in front of Redis. Bounded (LRU) and short-lived; invalidated on every
 * instance by the fan-out reader, flushed and switched off whenever that subscription is lost.
 *
 * Staleness bound: a value is served at most `ttlMs` after the read that produced it was issued, and a
 * read that was in flight when an invalidation arrived is never stored (the in-process form of the
 * lease: its result is older than the invalidation).
 */
export class L1Cache<V> {
  readonly ttlMs: number;
  readonly #entries: LRUCache<string, Stored<V>>;
  readonly #now: () => number;
  /** Last local invalidation time per id, kept for ttlMs: older reads could not be stored anyway. */
  readonly #invalidatedAt = new Map<string, number>();
  #flushedAt = Number.NEGATIVE_INFINITY;
  #available = false;

  constructor(options: L1CacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = options.ttlMs ?? 1000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be ≥ 1');
    if (!Number.isFinite(this.ttlMs) || this.ttlMs <= 0) throw new RangeError('ttlMs must be > 0');
    this.#entries = new LRUCache({ max: maxEntries });
    this.#now = options.now ?? (() => performance.now());
  }

  /** The current monotonic time: take it *before* issuing the read whose result may be stored. */
  now(): number {
    return this.#now();
  }

  /** Whether the L1 serves and stores (false until the fan-out subscription is confirmed). */
  get available(): boolean {
    return this.#available;
  }

  /** Turns the L1 on or off; turning it off (or on again) also flushes it. */
  setAvailable(available: boolean): void {
    if (available === this.#available) return;
    this.flush();
    this.#available = available;
  }

  get(id: string): L1Entry<V> | undefined {
    if (!this.#available) return undefined;
    const stored = this.#entries.get(id);
    if (!stored) return undefined;
    if (stored.expiresAt <= this.#now()) {
      this.#entries.delete(id);
      return undefined;
    }
    return stored;
  }

  /**
   * Stores the result of a read issued at `readStartedAt`, unless an invalidation or flush happened since,
   * for at most `ttlMs` from `readStartedAt` and at most `maxAgeMs` from now.
   */
  set(id: string, entry: L1Entry<V>, readStartedAt: number, maxAgeMs = Number.POSITIVE_INFINITY): void {
    if (!this.#available || readStartedAt <= this.#flushedAt) return;
    const invalidated = this.#invalidatedAt.get(id);
    if (invalidated !== undefined && readStartedAt <= invalidated) return;
    const now = this.#now();
    const expiresAt = Math.min(readStartedAt + this.ttlMs, now + maxAgeMs);
    if (expiresAt <= now) return;
    this.#entries.set(id, { value: entry.value, version: entry.version, expiresAt });
  }

  /** Drops `id` and refuses results of reads issued before now. */
  invalidate(id: string): void {
    const now = this.#now();
    this.#entries.delete(id);
    this.#invalidatedAt.delete(id);
    this.#invalidatedAt.set(id, now);
    // Insertion order is time order: prune records older than any read that could still be stored.
    for (const [key, at] of this.#invalidatedAt) {
      if (at > now - this.ttlMs) break;
      this.#invalidatedAt.delete(key);
    }
  }

  /** Drops everything and refuses results of reads issued before now. */
  flush(): void {
    this.#flushedAt = this.#now();
    this.#entries.clear();
    this.#invalidatedAt.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
