import { createHmac } from 'node:crypto';
import { type Keyspace, type RedisClient, runScript } from '@redwire/redis-kit';
import { addressSubject } from './address-subject';
import {
  decodeFailureRecord,
  decodeLockState,
  decodeSuccess,
  type FailureRecord,
  type LockState,
  throttleScripts as scripts,
} from './throttle-scripts';

/** Options of {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** State-role request client (fails fast; its command timeout is the deadline). */
  redis: RedisClient;
  /** The auth service's keyspace. */
  keyspace: Keyspace;
  /**
   * Key of the HMAC that turns emails and addresses into Redis keys, so Redis holds neither and a key cannot
   * be reversed by hashing a list of addresses. 32 bytes or more.
   */
  hmacKey: Buffer;
  /** The failure of one (email, address) pair that starts its back-off; each further one doubles it. @default 5 */
  backoffAfter?: number;
  /** First back-off; doubles with each further failure. @default 1000 */
  baseMs?: number;
  /** Longest back-off of one (email, address) pair. @default 900000 (15 min) */
  maxMs?: number;
  /** The failure of an account, counted over every address, that starts its account-wide back-off. @default 20 */
  accountBackoffAfter?: number;
  /**
   * Longest account-wide back-off: the most a third party can make every other address wait, however many
   * addresses it fails from. Also the rate (one counted guess per ceiling) a distributed guesser is held to.
   * @default 60000 (1 min)
   */
  accountCeilingMs?: number;
  /** Failures are forgotten this long after the last one (plus any back-off). @default 900000 */
  windowMs?: number;
  /** How long an address that logged in successfully stays exempt from the account-wide back-off. @default 30 days */
  knownAddressTtlMs?: number;
  /** IPv6 addresses are keyed by this prefix. @default 56 (as the gateway keys anonymous clients) */
  ipv6PrefixLength?: number;
}

/**
 * Exponential back-off on failed logins (OWASP AU "Login Throttling"), keyed by email and client address so
 * that a third party cannot keep an account's owner out:
 *
 * - per (email, address): after `backoffAfter` failures, `baseMs` doubling up to `maxMs`. An attacker locks
 *   only their own address out of the account.
 * - per email over every address: after `accountBackoffAfter` failures, `baseMs` doubling up to
 *   `accountCeilingMs`. Guessing from many addresses is slowed to about one counted guess per ceiling,
 *   while any other address waits at most the ceiling.
 * - an address that logged in successfully is exempt from the account-wide back-off for
 *   `knownAddressTtlMs`: the owner on their usual network is never held by somebody else's failures.
 *
 * Emails are keyed whether or not an account exists, so the behaviour does not reveal which are registered.
 * Attempts refused by a running back-off are not counted, so hammering cannot extend it. Every record is a
 * fixed-size hash with a TTL, all of one email in one hash slot.
 */
export class LoginThrottle {
  private readonly redis: RedisClient;
  private readonly keyspace: Keyspace;
  private readonly hmacKey: Buffer;
  private readonly backoffAfter: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly accountBackoffAfter: number;
  private readonly accountCeilingMs: number;
  private readonly windowMs: number;
  private readonly knownAddressTtlMs: number;
  private readonly ipv6PrefixLength: number;

  constructor(options: LoginThrottleOptions) {
    if (options.hmacKey.length < 32) throw new RangeError('LoginThrottle: hmacKey must be at least 32 bytes');
    this.redis = options.redis;
    this.keyspace = options.keyspace;
    this.hmacKey = options.hmacKey;
    this.backoffAfter = options.backoffAfter ?? 5;
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 900_000;
    this.accountBackoffAfter = options.accountBackoffAfter ?? 20;
    this.accountCeilingMs = options.accountCeilingMs ?? 60_000;
    this.windowMs = options.windowMs ?? 900_000;
    this.knownAddressTtlMs = options.knownAddressTtlMs ?? 30 * 86_400_000;
    this.ipv6PrefixLength = options.ipv6PrefixLength ?? 56;
    if (
      this.baseMs < 1 ||
      this.maxMs < this.baseMs ||
      this.accountCeilingMs < this.baseMs ||
      this.windowMs < 1 ||
      this.knownAddressTtlMs < 1 ||
      this.backoffAfter < 1 ||
      this.accountBackoffAfter < 1
    ) {
      throw new RangeError(
        'LoginThrottle: need backoffAfter, accountBackoffAfter >= 1, 1 <= baseMs <= maxMs and accountCeilingMs, windowMs and knownAddressTtlMs >= 1',
      );
    }
    if (
      !Number.isInteger(this.ipv6PrefixLength) ||
      this.ipv6PrefixLength < 32 ||
      this.ipv6PrefixLength > 128
    ) {
      throw new RangeError('LoginThrottle: ipv6PrefixLength must be an integer 32-128');
    }
  }

  /** How long a login of `email` from `address` must still wait (0: it may be attempted). */
  async lockedFor(email: string, address: string | undefined): Promise<LockState> {
    const keys = this.keys(email, address);
    return decodeLockState(
      await runScript(this.redis, scripts.lockedFor, [keys.pair, keys.account, keys.known]),
    );
  }

  /** Counts a failure for the pair and the account; returns when each back-off (if any) ends. */
  async recordFailure(email: string, address: string | undefined): Promise<FailureRecord> {
    const keys = this.keys(email, address);
    const reply = await runScript(
      this.redis,
      scripts.recordFailure,
      [keys.pair, keys.account],
      [
        this.backoffAfter,
        this.baseMs,
        this.maxMs,
        this.accountBackoffAfter,
        this.accountCeilingMs,
        this.windowMs,
      ],
    );
    return decodeFailureRecord(reply);
  }

  /** After a successful login: the pair's failures are forgotten and the address becomes known. */
  async recordSuccess(email: string, address: string | undefined): Promise<void> {
    const keys = this.keys(email, address);
    decodeSuccess(
      await runScript(this.redis, scripts.recordSuccess, [keys.pair, keys.known], [this.knownAddressTtlMs]),
    );
  }

  private hmac(...parts: string[]): string {
    const mac = createHmac('sha256', this.hmacKey);
    // Length-prefixed, so no two different part lists give the same input.
    for (const part of parts) mac.update(`${part.length}:${part};`);
    return mac.digest('hex').slice(0, 32);
  }

  private keys(email: string, address: string | undefined) {
    const tag = this.hmac('email', email);
    const subject = this.hmac('address', addressSubject(address, this.ipv6PrefixLength));
    return {
      pair: this.keyspace.tagged('login-failures', tag, subject),
      account: this.keyspace.tagged('login-failures', tag),
      known: this.keyspace.tagged('login-known', tag, subject),
    };
  }
}
