import { createHmac } from 'node:crypto';
import path from 'node:path';
import { defineScript, type Keyspace, type RedisClient, runScript } from '@redwire/redis-kit';

const scripts = {
  recordFailure: defineScript({ file: path.join(__dirname, 'record-failure-1.lua') }),
  lockRemaining: defineScript({ file: path.join(__dirname, 'lock-remaining-1.lua') }),
};

/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** State-role request client (fails fast; its command timeout is the deadline). */
  redis: RedisClient;
  /** The auth service's keyspace. */
  keyspace: Keyspace;
  /**
   * Key of the HMAC that turns an email into its Redis key, so Redis never holds the email itself and the
   * key cannot be reversed by hashing a list of addresses. 32 bytes or more.
   */
  hmacKey: Buffer;
  /** The failure that starts the back-off (the 5th by default); each further one doubles it. @default 5 */
  backoffAfter?: number;
  /** First back-off; doubles with each further failure. @default 1000 */
  baseMs?: number;
  /** Longest back-off. @default 900000 (15 min) */
  maxMs?: number;
  /** Failures are forgotten this long after the last one (plus any back-off). @default 900000 */
  windowMs?: number;
}

/**
 * Per-account exponential back-off on failed logins (OWASP AU "Login Throttling"). Keyed by the normalised
 * email whether or not an account exists, so its behaviour does not reveal which emails are registered.
 * While locked, attempts are refused without being counted, so hammering cannot extend the lock-out
 * (the lock-out is bounded by `maxMs`: a denial of service on one account is short).
 */
export class LoginThrottle {
  private readonly redis: RedisClient;
  private readonly keyspace: Keyspace;
  private readonly hmacKey: Buffer;
  private readonly backoffAfter: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly windowMs: number;

  constructor(options: LoginThrottleOptions) {
    if (options.hmacKey.length < 32) throw new RangeError('LoginThrottle: hmacKey must be at least 32 bytes');
    this.redis = options.redis;
    this.keyspace = options.keyspace;
    this.hmacKey = options.hmacKey;
    this.backoffAfter = options.backoffAfter ?? 5;
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 900_000;
    this.windowMs = options.windowMs ?? 900_000;
    if (this.baseMs < 1 || this.maxMs < this.baseMs || this.windowMs < 1 || this.backoffAfter < 1) {
      throw new RangeError('LoginThrottle: need backoffAfter >= 1 and 1 <= baseMs <= maxMs, windowMs >= 1');
    }
  }

  /** Milliseconds the back-off of `email` still runs (0: a login may be attempted). */
  async lockedFor(email: string): Promise<number> {
    return Number(await runScript(this.redis, scripts.lockRemaining, [this.key(email)]));
  }

  /** Counts a failure and returns the back-off it starts (0 while failures are still free). */
  async recordFailure(email: string): Promise<{ failures: number; lockedUntilMs: number }> {
    const [failures, lockedUntilMs] = (await runScript(
      this.redis,
      scripts.recordFailure,
      [this.key(email)],
      [this.backoffAfter, this.baseMs, this.maxMs, this.windowMs],
    )) as [number, number];
    return { failures, lockedUntilMs };
  }

  /** Forgets the failures of `email` after a successful login. */
  async reset(email: string): Promise<void> {
    await this.redis.del(this.key(email));
  }

  private key(email: string): string {
    return this.keyspace.key(
      'login-failures',
      createHmac('sha256', this.hmacKey).update(email).digest('hex'),
    );
  }
}
