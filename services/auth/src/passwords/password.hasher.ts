import { randomBytes } from 'node:crypto';
import { type Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import { currentDeadline, RequestDeadlineExceededError, withinRequestDeadline } from '@redwire/deadline';
import { errors } from '@redwire/http-kit';

/** Argon2id cost parameters. */
export interface Argon2Params {
  /** Memory in KiB. OWASP floor: 19456 (19 MiB). */
  memoryKib: number;
  /** Passes. OWASP floor with 19 MiB: 2. */
  timeCost: number;
  /** Lanes. */
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet's minimum for Argon2id. */
export const OWASP_MIN_ARGON2: Readonly<Argon2Params> = { memoryKib: 19_456, timeCost: 2, parallelism: 1 };

// `Algorithm` is a const enum in the binding's typings, which isolatedModules cannot inline.
const ARGON2ID = 2 as Algorithm;

/** Options of {@link PasswordHasher}. */
export interface PasswordHasherOptions {
  /** Cost of new hashes; stored hashes with other parameters are re-hashed at the next login. @default OWASP_MIN_ARGON2 */
  params?: Argon2Params;
  /** Hashes computed at once (each holds `memoryKib` of RAM). @default 4 */
  concurrency?: number;
  /** Hashes allowed to wait for a slot; beyond it requests get 503 instead of queueing without bound. @default 256 */
  maxQueue?: number;
  /** Called once per password verification (real or dummy), for metrics and tests. @default none */
  onVerify?: (kind: 'account' | 'dummy') => void;
}

/**
 * Argon2id hashing through @node-rs/argon2 (prebuilt binaries, no compiler at install; docs/measurements.md).
 * Parameters live in each PHC string, so raising them upgrades accounts one login at a time. Unknown
 * accounts are verified against a dummy hash with the same parameters: every login costs one verification.
 */
export class PasswordHasher {
  private readonly params: Argon2Params;
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private readonly onVerify: PasswordHasherOptions['onVerify'];
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.params = { ...(options.params ?? OWASP_MIN_ARGON2) };
    const { memoryKib, timeCost, parallelism } = this.params;
    if (memoryKib < OWASP_MIN_ARGON2.memoryKib || timeCost < OWASP_MIN_ARGON2.timeCost || parallelism < 1) {
      throw new RangeError('PasswordHasher: parameters below the OWASP minimum (m=19456, t=2, p=1)');
    }
    this.concurrency = options.concurrency ?? 4;
    this.maxQueue = options.maxQueue ?? 256;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) {
      throw new RangeError('PasswordHasher: concurrency must be a positive integer');
    }
    this.onVerify = options.onVerify;
  }

  /** Hashes a new password with the current parameters (random 16-byte salt). */
  hash(password: string): Promise<string> {
    return this.limited(() =>
      hash(password, {
        algorithm: ARGON2ID,
        memoryCost: this.params.memoryKib,
        timeCost: this.params.timeCost,
        parallelism: this.params.parallelism,
      }),
    );
  }

  /** Verifies `password` against a stored hash (constant time inside the binding). */
  async verify(stored: string, password: string): Promise<boolean> {
    this.onVerify?.('account');
    // A malformed stored hash never authenticates.
    return this.limited(() => verify(stored, password).catch(() => false));
  }

  /** Does the work of one verification against a dummy hash and returns false (unknown or locked account). */
  async verifyDummy(password: string): Promise<false> {
    this.onVerify?.('dummy');
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    const dummy = await this.dummy;
    await this.limited(() => verify(dummy, password));
    return false;
  }

  /** Computes the dummy hash ahead of the first unknown-user login, so that login is not slower. */
  async warmUp(): Promise<void> {
    this.dummy ??= this.hash(randomBytes(32).toString('base64url'));
    await this.dummy;
  }

  /** True when `stored` was made with other parameters (or another algorithm) than the current ones. */
  needsRehash(stored: string): boolean {
    try {
      const p = parseOptions(stored);
      return (
        p.algorithm !== ARGON2ID ||
        p.memoryCost !== this.params.memoryKib ||
        p.timeCost !== this.params.timeCost ||
        p.parallelism !== this.params.parallelism
      );
    } catch {
      return true;
    }
  }

  /**
   * Runs `work` in a slot. Within a request's deadline the wait for a slot and for the hash both end when
   * the deadline passes (a queued hash leaves the queue; a running one finishes in its slot, unread).
   */
  private async limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxQueue) {
        throw errors.E_UNAVAILABLE('Too many sign-ins at once; try again shortly.', { retryAfterSeconds: 1 });
      }
      await this.queueForSlot();
    } else {
      this.running++;
    }
    const running = (async () => {
      try {
        return await work();
      } finally {
        const next = this.waiting.shift();
        if (next) next();
        else this.running--;
      }
    })();
    return withinRequestDeadline(running);
  }

  /** Waits for a slot handed over by a finishing hash, or leaves the queue when the deadline passes. */
  private queueForSlot(): Promise<void> {
    const deadline = currentDeadline();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const handOver = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiting.push(handOver);
      if (!deadline) return;
      timer = setTimeout(() => {
        const at = this.waiting.indexOf(handOver);
        if (at === -1) return; // the slot was handed over in this very turn
        this.waiting.splice(at, 1);
        reject(new RequestDeadlineExceededError(deadline.budgetMs));
      }, deadline.remainingMs());
    });
  }
}
