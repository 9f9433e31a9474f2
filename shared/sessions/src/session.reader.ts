import {
  CircuitBreaker,
  Coalescer,
  keySlot,
  type RedisClient,
  runScript,
  withDeadline,
} from '@redwire/redis-kit';
import type { Registry } from 'prom-client';
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

/** Settings of the circuit breaker in front of Redis (redis-kit's `CircuitBreaker`). */
export interface SessionBreakerOptions {
  /** The `name` label of `redwire_circuit_breaker_state` (with `registry`). @default 'sessions' */
  name?: string;
  /** Open when more than this percentage of the calls in the window failed... @default 50 */
  failureThresholdPercentage?: number;
  /** ...and at least this many calls were made in the window. @default 20 */
  minimumCalls?: number;
  /** The rolling window over which calls and failures are counted, in ms. @default 5000 */
  windowMs?: number;
  /** Slices of the window (`windowMs` must be a multiple). @default 5 */
  windowBuckets?: number;
  /** How long it stays open before one probe call goes through, in ms. @default 1000 */
  openDurationMs?: number;
}

/** Options of {@link SessionReader}: everything but `redis` has a default. */
export interface SessionReaderOptions extends SessionKeyOptions {
  /**
   * The Redis client holding the sessions (ioredis `Redis` or `Cluster`). Prefer one that fails fast
   * while disconnected (`enableOfflineQueue: false`) over one that queues until the deadline passes.
   * The caller owns (and closes) it.
   */
  redis: RedisClient;
  /**
   * Deadline of one validation in Redis, in ms. Past it `validate` rejects with redis-kit's
   * `DeadlineExceededError` (the token could not be checked: answer 503, never anonymous). @default 100
   */
  deadlineMs?: number;
  /**
   * The breaker that stops asking Redis while it keeps failing, so validations fail at once (with
   * redis-kit's `CircuitOpenError`) instead of each paying the deadline; false: none. @default {}
   */
  breaker?: SessionBreakerOptions | false;
  /** A prom-client `Registry` for the breaker's state gauge. @default none */
  registry?: Registry;
  /**
   * A validation slides the idle expiry only when the last slide is at least this old, so a busy session
   * costs one write per interval, not one per request. Capped at half the session's idle timeout.
   * @default 60000
   */
  touchIntervalMs?: number;
  /**
   * Most validations sent in one script call (those that arrive within one event-loop turn are coalesced,
   * see redis-kit's Coalescer); 1 sends each alone. On a cluster one call holds one hash slot's sessions
   * only (one user's, whose keys share its routing tag). @default 16
   */
  maxBatch?: number;
}

/** What the gateway measured and runs with: open after > 50 % of ≥ 20 calls in 5 s failed, probe after 1 s. */
const BREAKER_DEFAULTS = {
  name: 'sessions',
  failureThresholdPercentage: 50,
  minimumCalls: 20,
  windowMs: 5000,
  windowBuckets: 5,
  openDurationMs: 1000,
};

/** A single node's coalesced calls hold several users' keys; a cluster's keep to one slot (checked by runScript). */
const CROSS_SLOT = { crossSlot: 'single-node' } as const;

/** One validation waiting for its script call. */
interface PendingValidation {
  readonly tag: string;
  readonly member: string;
  readonly secretHash: string;
}

/**
 * Validates session tokens in one Redis round trip (one EVALSHA): existence, secret digest (constant
 * time), account version fence, current role and tier, and the throttled touch. The validations of one
 * event-loop turn share that call (each session still decided on its own); on a cluster, those of one hash
 * slot (the same user's sessions, or users whose tags share a slot).
 *
 * Redis errors propagate: an unverifiable token must be refused by the caller (fail closed), never
 * served as anonymous.
 */
export class SessionReader {
  private readonly redis: RedisClient;
  private readonly keys: SessionKeys;
  private readonly touchIntervalMs: number;
  private readonly batches: Coalescer<PendingValidation, unknown[]> | undefined;
  private readonly deadlineMs: number;
  private readonly breaker: CircuitBreaker | undefined;

  constructor(options: SessionReaderOptions) {
    this.redis = options.redis;
    this.keys = new SessionKeys(options.namespace);
    this.touchIntervalMs = checkInteger('touchIntervalMs', options.touchIntervalMs ?? 60_000, 0, 86_400_000);
    this.deadlineMs = checkInteger('deadlineMs', options.deadlineMs ?? 100, 1, 60_000);
    this.breaker =
      options.breaker === false
        ? undefined
        : new CircuitBreaker({ ...BREAKER_DEFAULTS, ...options.breaker, registry: options.registry });
    const maxBatch = checkInteger('maxBatch', options.maxBatch ?? 16, 1, 1024);
    this.batches =
      maxBatch === 1
        ? undefined
        : new Coalescer({
            maxBatch,
            // A session's three keys carry the user's `{tag}`: the account key's slot is theirs.
            ...(this.redis.isCluster
              ? { groupOf: (p: PendingValidation) => keySlot(this.keys.account(p.tag)) }
              : {}),
            send: (batch) => this.run(batch),
          });
  }

  /**
   * Validates `token` (`<session id>.<secret>`) and touches the session at most once per interval.
   * Rejects when Redis cannot answer within the deadline (or the breaker is open): redis-kit's
   * `isRedisUnavailableError` is true for exactly those rejections.
   */
  validate(token: string): Promise<ValidationResult> {
    // Not async/await: this runs on every request, and each await is one more promise and microtask. The
    // try keeps what an async function promises: a bad argument rejects, it never throws.
    try {
      const parsed = parseToken(token);
      if (!parsed) return Promise.resolve({ valid: false, reason: 'malformed' });
      const reply = this.breaker ? this.breaker.run(() => this.bounded(parsed)) : this.bounded(parsed);
      return reply.then((r) => decodeReply(r, parsed.sessionId));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Stops the breaker's timer. The Redis client is the caller's to close. */
  close(): void {
    this.breaker?.shutdown();
  }

  /** One validation's reply, within the deadline (coalesced with the others of this turn). */
  private bounded(pending: PendingValidation): Promise<unknown[]> {
    const sent = this.batches
      ? this.batches.submit(pending)
      : this.run([pending]).then((replies) => replies[0] as unknown[]);
    return withDeadline(sent, this.deadlineMs);
  }

  /** One validate-N.lua call for `batch`; one reply per session, in order. */
  private async run(batch: readonly PendingValidation[]): Promise<unknown[][]> {
    const keys: string[] = [];
    const args: (string | number)[] = [batch.length, this.touchIntervalMs];
    for (const { tag, member, secretHash } of batch) {
      keys.push(this.keys.session(tag, member), this.keys.account(tag), this.keys.index(tag));
      args.push(secretHash, member);
    }
    const crossSlot = this.batches && !this.redis.isCluster;
    const reply = await runScript(this.redis, scripts.validate, keys, args, crossSlot ? CROSS_SLOT : {});
    if (!Array.isArray(reply) || reply.length !== batch.length || !reply.every(Array.isArray)) {
      throw new Error('sessions: malformed validate reply');
    }
    return reply as unknown[][];
  }
}

/** A validate-N.lua reply for one session as the result `validate` resolves to. */
function decodeReply(reply: unknown[], sessionId: string): ValidationResult {
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

function isRole(value: unknown): value is SessionRole {
  return SESSION_ROLES.includes(value as SessionRole);
}

function isTier(value: unknown): value is SessionTier {
  return SESSION_TIERS.includes(value as SessionTier);
}
