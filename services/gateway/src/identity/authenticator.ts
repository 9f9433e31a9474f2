import type { IncomingHttpHeaders } from 'node:http';
import { errors } from '@redwire/http-kit';
import { isRedisUnavailableError } from '@redwire/redis-kit';
import { type SessionReader, tokenFromHeaders, type ValidationResult } from '@redwire/sessions';
import type { Principal, UserPrincipal } from './principal';
import { SessionCache } from './session-cache';
import type { DegradedOutcome } from './session-metrics';

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  readonly sessions: Pick<SessionReader, 'validate'>;
  /** The session cookie's name (`__Host-sid`, or `sid` when Secure is switched off). */
  readonly cookieName: string;
  /**
   * Recent successful validations, reused while Redis is up (its `ttlMs` ≤ 1000, so a revocation takes
   * effect within 1 s). None: every request is checked in Redis. @default none
   */
  readonly cache?: SessionCache;
  /**
   * Degraded mode: while the state Redis is unreachable, a safe request (GET, HEAD, OPTIONS) whose token
   * this instance validated successfully within this cache's `ttlMs` (the degraded window) is served with
   * the identity validated then. None: every unverifiable token gets 503. @default none
   */
  readonly lastKnown?: SessionCache;
  /** Told about degraded-mode answers and mode changes (metrics). @default nothing */
  readonly onDegraded?: (outcome: DegradedOutcome) => void;
  readonly onModeChange?: (degraded: boolean) => void;
}

/** Methods that read only (RFC 9110 safe methods): the only ones degraded mode serves. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const CANNOT_CHECK = 'The session could not be checked; retry shortly.';

/**
 * Checks the request's session token (bearer first, then the cookie) with the shared session reader: one
 * Redis round trip. A token that is invalid is reported as `rejected` and the caller decides between 401
 * and anonymous. A token that cannot be checked is never served as anonymous: it gets 503, except in
 * degraded mode (see {@link AuthenticatorOptions.lastKnown} and the README's "Degraded sessions").
 *
 * "Cannot be checked" is exactly: the validation failed because Redis did not answer — its deadline
 * passed, the command timed out, the connection is down, refused or closed, or Redis replied that it
 * cannot serve now (LOADING, BUSY, failover, auth) — redis-kit's `isRedisUnavailableError`. Any other
 * failure (an unexpected reply: a bug) is a 503 without degraded mode.
 */
export class Authenticator {
  readonly #sessions: Pick<SessionReader, 'validate'>;
  readonly #cookieName: string;
  readonly #onDegraded: (outcome: DegradedOutcome) => void;
  readonly #onModeChange: (degraded: boolean) => void;
  #degraded = false;
  /** Recent validations (≤ 1 s), reused while Redis is up; exposed for revocation events. */
  readonly cache: SessionCache | undefined;
  /** Last-known-good validations (the degraded window), used only while Redis is unreachable. */
  readonly lastKnown: SessionCache | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#sessions = options.sessions;
    if (options.cache && options.cache.ttlMs > 1000) {
      throw new Error('the validation cache keeps entries ≤ 1000 ms (revocations take effect within 1 s)');
    }
    this.cache = options.cache;
    this.lastKnown = options.lastKnown;
    this.#cookieName = options.cookieName;
    this.#onDegraded = options.onDegraded ?? (() => {});
    this.#onModeChange = options.onModeChange ?? (() => {});
  }

  /** The token's source without checking it, for the CSRF check that runs first. */
  tokenSource(headers: IncomingHttpHeaders): 'cookie' | 'bearer' | undefined {
    return tokenFromHeaders(headers, this.#cookieName)?.source;
  }

  /** True while the last session check could not reach Redis. */
  get degraded(): boolean {
    return this.#degraded;
  }

  /** Forgets a revoked session in both caches (a `session.revoked` event). */
  evictSession(sessionId: string): void {
    this.cache?.evictSession(sessionId);
    this.lastKnown?.evictSession(sessionId);
  }

  /** Checks the request's token; `method` decides whether degraded mode may serve it (safe methods only). */
  async authenticate(headers: IncomingHttpHeaders, method: string): Promise<Principal> {
    const found = tokenFromHeaders(headers, this.#cookieName);
    if (!found) return { kind: 'anonymous' };
    const key = this.cache || this.lastKnown ? SessionCache.keyOf(found.token) : undefined;
    const cached = key !== undefined ? this.cache?.get(key) : undefined;
    if (cached) return withSource(cached, found.source);

    const sentAt = performance.now();
    let result: ValidationResult;
    try {
      // The reader bounds the call (its `deadlineMs`) and fails fast while its breaker is open.
      result = await this.#sessions.validate(found.token);
    } catch (cause) {
      return this.#unverified(cause, key, found.source, method);
    }
    this.#setMode(false);
    if (!result.valid) {
      if (key !== undefined) this.lastKnown?.delete(key);
      return { kind: 'anonymous', tokenSource: found.source, rejected: true };
    }
    const { userId, sessionId, role, tier } = result.session;
    const principal: UserPrincipal = {
      kind: 'user',
      identity: { sub: userId, sid: sessionId, role, tier },
      tokenSource: found.source,
    };
    if (key !== undefined) {
      this.cache?.set(key, principal, sentAt);
      // Counted from when the check was sent: the record is never younger than Redis's answer.
      this.lastKnown?.set(key, principal, sentAt);
    }
    return principal;
  }

  /** The token could not be checked: degraded service for a safe method with a recent record, else 503. */
  #unverified(
    cause: unknown,
    key: string | undefined,
    source: 'cookie' | 'bearer',
    method: string,
  ): UserPrincipal {
    if (!isRedisUnavailableError(cause)) throw unavailable(cause);
    this.#setMode(true);
    if (!this.lastKnown) throw unavailable(cause);
    if (!SAFE_METHODS.has(method)) {
      this.#onDegraded('refused_method');
      throw unavailable(cause);
    }
    const remembered = key !== undefined ? this.lastKnown.get(key) : undefined;
    if (!remembered) {
      this.#onDegraded('refused_unknown');
      throw unavailable(cause);
    }
    this.#onDegraded('served');
    return { ...withSource(remembered, source), degraded: true };
  }

  #setMode(degraded: boolean): void {
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    this.#onModeChange(degraded);
  }
}

function withSource(principal: UserPrincipal, source: 'cookie' | 'bearer'): UserPrincipal {
  return principal.tokenSource === source ? principal : { ...principal, tokenSource: source };
}

function unavailable(cause: unknown) {
  return errors.E_UNAVAILABLE(CANNOT_CHECK, { cause, retryAfterSeconds: 1 });
}
