import type { IncomingHttpHeaders } from 'node:http';
import { errors, type UserIdentity } from '@redwire/http-kit';
import { withDeadline } from '@redwire/redis-kit';
import { type SessionReader, tokenFromHeaders, type ValidationResult } from '@redwire/sessions';
import { SessionCache } from './session-cache';

/** Options of {@link Authenticator}. */
export interface AuthenticatorOptions {
  readonly sessions: Pick<SessionReader, 'validate'>;
  /** The session cookie's name (`__Host-sid`, or `sid` when Secure is switched off). */
  readonly cookieName: string;
  /** Deadline of one validation; past it the request gets 503, never anonymous. @default 100 */
  readonly deadlineMs?: number;
  /** Reuse successful validations this long (≤ 1000 ms); 0 checks every request in Redis. @default 0 */
  readonly cacheTtlMs?: number;
}

/** Who sent a request, once its token (if any) was checked. */
export type Principal =
  | { readonly kind: 'anonymous'; readonly tokenSource?: 'cookie' | 'bearer'; readonly rejected?: boolean }
  | { readonly kind: 'user'; readonly identity: UserIdentity; readonly tokenSource: 'cookie' | 'bearer' };

/**
 * Checks the request's session token (bearer first, then the cookie) with the shared session reader: one
 * Redis round trip. A token that cannot be checked (Redis slow or down) is a 503, never anonymous; a
 * token that is invalid is reported as `rejected` and the caller decides between 401 and anonymous.
 */
export class Authenticator {
  readonly #sessions: Pick<SessionReader, 'validate'>;
  readonly #cookieName: string;
  readonly #deadlineMs: number;
  /** Present when validations are cached; exposed for revocation events. */
  readonly cache: SessionCache | undefined;

  constructor(options: AuthenticatorOptions) {
    this.#sessions = options.sessions;
    this.cache = options.cacheTtlMs ? new SessionCache({ ttlMs: options.cacheTtlMs }) : undefined;
    this.#cookieName = options.cookieName;
    this.#deadlineMs = options.deadlineMs ?? 100;
    if (!Number.isInteger(this.#deadlineMs) || this.#deadlineMs < 1)
      throw new Error('deadlineMs must be a positive integer');
  }

  /** The token's source without checking it, for the CSRF check that runs first. */
  tokenSource(headers: IncomingHttpHeaders): 'cookie' | 'bearer' | undefined {
    return tokenFromHeaders(headers, this.#cookieName)?.source;
  }

  async authenticate(headers: IncomingHttpHeaders): Promise<Principal> {
    const found = tokenFromHeaders(headers, this.#cookieName);
    if (!found) return { kind: 'anonymous' };
    const cacheKey = this.cache && SessionCache.keyOf(found.token);
    const cached = cacheKey && this.cache?.get(cacheKey);
    if (cached)
      return cached.tokenSource === found.source ? cached : { ...cached, tokenSource: found.source };
    const result = await this.#validate(found.token);
    if (!result.valid) return { kind: 'anonymous', tokenSource: found.source, rejected: true };
    const { userId, sessionId, role, tier } = result.session;
    const principal = {
      kind: 'user',
      identity: { sub: userId, sid: sessionId, role, tier },
      tokenSource: found.source,
    } as const;
    if (cacheKey) this.cache?.set(cacheKey, principal);
    return principal;
  }

  async #validate(token: string): Promise<ValidationResult> {
    try {
      return await withDeadline(this.#sessions.validate(token), this.#deadlineMs);
    } catch (cause) {
      throw errors.E_UNAVAILABLE('The session could not be checked; retry shortly.', {
        cause,
        retryAfterSeconds: 1,
      });
    }
  }
}
