/** Roles an account can hold. */
export type SessionRole = 'user' | 'admin';

/** Rate-limit tiers an account can be on. */
export type SessionTier = 'free' | 'pro';

export const SESSION_ROLES: readonly SessionRole[] = ['user', 'admin'];
export const SESSION_TIERS: readonly SessionTier[] = ['free', 'pro'];

/** A session that just passed validation. Role and tier are the account's current ones, not a snapshot. */
export interface ValidSession {
  userId: string;
  /** Public session id (never the secret). */
  sessionId: string;
  role: SessionRole;
  tier: SessionTier;
  createdAt: Date;
  lastActiveAt: Date;
  /** When the session ends if unused: min(last active + idle timeout, absolute expiry). */
  expiresAt: Date;
  /** Last active + idle timeout (may lie beyond `absoluteExpiresAt`). */
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  /** True when this validation slid the idle expiry (at most once per touch interval). */
  touched: boolean;
}

/**
 * Why a token was refused. Callers answer every reason the same way (401); the reason is for metrics.
 * - `malformed`: not a token this package could have issued
 * - `unknown`: no such session (never existed, expired, revoked, evicted)
 * - `mismatch`: the session exists but the secret is wrong
 * - `superseded`: the account's version moved on (password change, disable, deletion); the session is deleted
 */
export type InvalidReason = 'malformed' | 'unknown' | 'mismatch' | 'superseded';

export type ValidationResult =
  | { valid: true; session: ValidSession }
  | { valid: false; reason: InvalidReason };

/** Options shared by the reader and the store. */
export interface SessionKeyOptions {
  /**
   * Keyspace namespace in front of `auth:session:` (redis-kit `Keyspace`), for deployments sharing one Redis
   * and for test isolation. Must be the same in every process that reads or writes sessions.
   * @default none
   */
  namespace?: string;
}

/** Throws unless `value` is an integer within [min, max]; returns it. */
export function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`sessions: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}
