import { LRUCache } from 'lru-cache';
import type { PolicyCheck } from './policy';

/** Options of {@link DenyCache}. */
export interface DenyCacheOptions {
  /** Most (policy, identity) pairs remembered; the least recently used go first. @default 10000 */
  readonly maxEntries?: number;
  /** Monotonic clock in ms. @default performance.now */
  readonly clock?: () => number;
}

/** A remembered deny: no request of at least `cost` units can pass before `untilMs`. */
export interface CachedDeny {
  readonly untilMs: number;
  readonly cost: number;
  readonly remaining: number;
}

/**
 * Identities already over a limit, remembered in-process until Redis said more quota arrives, so a client
 * hammering after a 429 costs no Redis call. Bounded (LRU), entries expire on their own, and an entry is
 * only trusted for requests costing at least as much as the one Redis denied: a smaller request might fit
 * sooner. A new set of policies means a new limiter and a new cache, so a raised limit is never shadowed by a
 * stale deny.
 */
export class DenyCache {
  readonly #entries: LRUCache<string, CachedDeny>;
  readonly #clock: () => number;

  constructor(options: DenyCacheOptions = {}) {
    const max = options.maxEntries ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new Error('maxEntries must be an integer >= 1');
    this.#entries = new LRUCache({ max });
    this.#clock = options.clock ?? (() => performance.now());
  }

  /** The remembered deny for this check, if it still holds. */
  get(check: PolicyCheck): CachedDeny | undefined {
    const key = cacheKey(check);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.untilMs <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return check.cost >= entry.cost ? entry : undefined;
  }

  /**
   * Remembers a deny. `sentAtMs` is when the request to Redis left, so the entry can only expire early
   * (by the network delay), never late, relative to the Redis time the wait was computed at.
   */
  remember(check: PolicyCheck, sentAtMs: number, waitUs: number, remaining: number): void {
    if (waitUs <= 0) return;
    this.#entries.set(cacheKey(check), { untilMs: sentAtMs + waitUs / 1000, cost: check.cost, remaining });
  }

  /** Milliseconds until `entry` expires. */
  leftMs(entry: CachedDeny): number {
    return Math.max(0, entry.untilMs - this.#clock());
  }

  get size(): number {
    return this.#entries.size;
  }
}

function cacheKey(check: PolicyCheck): string {
  return `${check.policy.name}\u0000${check.identity}`;
}
