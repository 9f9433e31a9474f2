import { type RedisClient, runScript } from '@redwire/redis-kit';
import { SessionKeys } from './session-keys';
import { sessionScripts as scripts } from './session-scripts';
import { parseToken } from './session-token';
import {
  checkInteger,
  SESSION_ROLES,
  SESSION_TIERS,
  type SessionKeyOptions,
  type SessionRole,
  type SessionTier,
  type ValidationResult,
} from './session-types';

/** Options of {@link SessionReader}. */
export interface SessionReaderOptions extends SessionKeyOptions {
  /**
   * The state-role Redis client (standalone or Cluster). Its command timeout is the validation deadline;
   * use a request-path client that fails fast rather than queueing while disconnected.
   */
  redis: RedisClient;
  /**
   * A validation slides the idle expiry only when the last slide is at least this old, so a busy session
   * costs one write per interval, not one per request. Capped at half the session's idle timeout.
   * @default 60000
   */
  touchIntervalMs?: number;
}

/**
 * Validates session tokens in one Redis round trip (one EVALSHA): existence, secret digest (constant
 * time), account version fence, current role and tier, and the throttled touch.
 *
 * Redis errors propagate: an unverifiable token must be refused by the caller (fail closed), never
 * served as anonymous.
 */
export class SessionReader {
  private readonly redis: RedisClient;
  private readonly keys: SessionKeys;
  private readonly touchIntervalMs: number;

  constructor(options: SessionReaderOptions) {
    this.redis = options.redis;
    this.keys = new SessionKeys(options.namespace);
    this.touchIntervalMs = checkInteger('touchIntervalMs', options.touchIntervalMs ?? 60_000, 0, 86_400_000);
  }

  /** Validates `token` (`<session id>.<secret>`) and touches the session at most once per interval. */
  async validate(token: string): Promise<ValidationResult> {
    const parsed = parseToken(token);
    if (!parsed) return { valid: false, reason: 'malformed' };
    const { tag, member, sessionId } = parsed;
    const reply = (await runScript(
      this.redis,
      scripts.validate,
      [this.keys.session(tag, member), this.keys.account(tag), this.keys.index(tag)],
      [parsed.secretHash, this.touchIntervalMs, member],
    )) as unknown[];
    switch (reply[0]) {
      case 0:
        return { valid: false, reason: 'unknown' };
      case 1:
        return { valid: false, reason: 'mismatch' };
      case 2:
        return { valid: false, reason: 'superseded' };
      case 3:
        break;
      default:
        throw new Error(`sessions: unexpected validate reply ${String(reply[0])}`);
    }
    const [, userId, role, tier, ca, la, ax, idle, touched] = reply;
    if (!isRole(role) || !isTier(tier) || typeof userId !== 'string') {
      throw new Error('sessions: account state in Redis holds an unknown role or tier');
    }
    const lastActive = Number(la);
    const absolute = Number(ax);
    const idleExpires = lastActive + Number(idle);
    return {
      valid: true,
      session: {
        userId,
        sessionId,
        role,
        tier,
        createdAt: new Date(Number(ca)),
        lastActiveAt: new Date(lastActive),
        expiresAt: new Date(Math.min(idleExpires, absolute)),
        idleExpiresAt: new Date(idleExpires),
        absoluteExpiresAt: new Date(absolute),
        touched: touched === 1,
      },
    };
  }
}

function isRole(value: unknown): value is SessionRole {
  return SESSION_ROLES.includes(value as SessionRole);
}

function isTier(value: unknown): value is SessionTier {
  return SESSION_TIERS.includes(value as SessionTier);
}
