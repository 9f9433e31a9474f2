import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Principal } from './authenticate';

type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** Options of {@link SessionCache}. */
export interface SessionCacheOptions {
  /** How long a validation is reused; at most 1000 ms, so a revocation takes effect within 1 s (API.md). */
  readonly ttlMs: number;
  /** @default 10000 */
  readonly maxEntries?: number;
}

/**
 * Reuses a successful session validation for a short while, so a client sending many requests with one
 * token costs one Redis round trip per `ttlMs` for its identity. Keyed by a SHA-256 of the token (the
 * token itself is not kept), never caches a refusal, and evicts by session id (`evictSession`) for a
 * revocation event.
 */
export class SessionCache {
  readonly #entries: LRUCache<string, UserPrincipal>;
  readonly #bySession = new Map<string, string>();

  constructor(options: SessionCacheOptions) {
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 1 || options.ttlMs > 1000) {
      throw new Error('ttlMs must be an integer from 1 to 1000');
    }
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

  set(key: string, principal: UserPrincipal): void {
    this.#entries.set(key, principal);
    this.#bySession.set(principal.identity.sid, key);
  }

  /** Forgets a session at once (a `session.revoked` event). */
  evictSession(sessionId: string): void {
    const key = this.#bySession.get(sessionId);
    if (key !== undefined) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
