import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { UserPrincipal } from './principal';

/** Options of {@link SessionCache}. */
export interface SessionCacheOptions {
  /**
   * How long after its validation an entry is kept. The authenticator's recent-validation cache keeps
   * entries ≤ 1000 ms (revocation within 1 s); its last-known-good record keeps them for the degraded
   * window.
   */
  readonly ttlMs: number;
  /** Entries kept (least recently used go first). @default 10000 */
  readonly maxEntries?: number;
}

/**
 * Successful session validations by token, for a bounded time from the moment each validation was sent,
 * so an entry is never younger than what Redis said. Keyed by a SHA-256 of the token (the token itself is
 * not kept), never holds a refusal, and evicts by session id (`evictSession`) for a revocation event.
 */
export class SessionCache {
  readonly #entries: LRUCache<string, UserPrincipal>;
  readonly #bySession = new Map<string, string>();

  /** How long after its validation an entry is kept. */
  readonly ttlMs: number;

  constructor(options: SessionCacheOptions) {
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1) {
      throw new Error('ttlMs must be a positive integer');
    }
    this.ttlMs = options.ttlMs;
    this.#entries = new LRUCache({
      max: options.maxEntries ?? 10_000,
      ttl: options.ttlMs,
      // Reading never extends an entry's life: the TTL bounds the staleness, not the idle time.
      updateAgeOnGet: false,
      dispose: (principal, key) => {
        if (this.#bySession.get(principal.identity.sid) === key)
          this.#bySession.delete(principal.identity.sid);
      },
    });
  }

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string): UserPrincipal | undefined {
    return this.#entries.get(key);
  }

  /**
   * Remembers a validation; its life counts from `validatedAt` (`performance.now()` when the validation was
   * sent, so before Redis answered), default now.
   */
  set(key: string, principal: UserPrincipal, validatedAt?: number): void {
    this.#entries.set(key, principal, validatedAt === undefined ? undefined : { start: validatedAt });
    this.#bySession.set(principal.identity.sid, key);
  }

  /** Forgets one token (Redis said it is no longer valid). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets a session at once (a `session.revoked` event). */
  evictSession(sessionId: string): void {
    const key = this.#bySession.get(sessionId);
    if (key !== undefined) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
