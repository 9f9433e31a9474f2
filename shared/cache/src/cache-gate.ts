import { isRequestDeadlineExceeded } from '@redwire/deadline';
import type { CircuitBreaker } from '@redwire/redis-kit';
import type { CacheGateState } from './cache-metrics';

/** Whether, and how, the cache may use Redis right now. */
export interface CacheAvailability {
  /** True when reads and fills may use Redis. */
  readonly usable: boolean;
  /** Runs a read or fill command; rejects at once with CacheUnavailableError when not usable. */
  call<T>(op: () => Promise<T>): Promise<T>;
  /**
   * Runs an invalidation whatever the state (it is the correctness path; with the connection known to be
   * down it fails at once). A failure fences the gate: this instance stops trusting the cache until the
   * recovery sweep has replayed it.
   */
  invalidate<T>(op: () => Promise<T>): Promise<T>;
  /** Fences at once: this instance stops trusting the cache until the recovery sweep has run. */
  trip(reason: string): void;
}

/** Thrown by {@link CacheGate.call} while the cache is not usable. */
export class CacheUnavailableError extends Error {
  override readonly name = 'CacheUnavailableError';
  constructor() {
    super('cache unavailable');
  }
}

/** Options of {@link CacheGate}; durations in milliseconds. */
export interface CacheGateOptions {
  /**
   * Consecutive failed read/fill calls that fence the gate at once, before the breaker's rate window
   * (which also counts the successes from before an outage) would open. @default 3
   */
  consecutiveFailures?: number;
  /** Interval of the background PING that detects outages on an idle instance and drives recovery. @default 500 */
  probeIntervalMs?: number;
  /**
   * How far before the last successful command the recovery sweep looks for writes: covers the longest
   * write transaction (a row commits after its outbox timestamp) and clock skew.
   * @default 15000
   */
  sweepMarginMs?: number;
}

/** Dependencies of {@link CacheGate}. */
export interface CacheGateDeps {
  /** The redis-kit breaker guarding request-path cache commands (its state gauge is the breaker metric). */
  breaker: CircuitBreaker;
  /** PINGs the cache Redis; rejects on failure or timeout. */
  probe: () => Promise<unknown>;
  /** Re-invalidates every id written since `since`; must reject unless every invalidation applied. */
  sweep: (since: Date) => Promise<void>;
  /** Told about every state change (metrics, logs). @default nothing */
  onStateChange?: (state: CacheGateState, reason: string) => void;
  /** Wall clock (compared with the write log's timestamps). @default Date.now */
  now?: () => number;
  /**
   * True while this process's own event loop is stalling (see LoopLagMonitor): failures then say nothing
   * about Redis and do not count toward fencing. @default never
   */
  isLocalStall?: () => boolean;
}

/**
 * The cache's failure policy for Redis: breaker + recovery fence.
 *
 * Reads and fills run through the breaker; when it opens, a few calls fail in a row, a probe fails, the
 * connection drops or an invalidation fails, the gate fences: reads go to the source and nothing is
 * filled. The probe loop waits for Redis to answer (through the breaker's half-open probe), then runs the
 * recovery sweep, which replays as invalidations every write committed since the last success (minus a
 * margin): writes whose invalidation could not reach Redis during the outage. Only after it succeeds does
 * the cache serve again, so no entry from before an outage can outlive a write made during it.
 */
export class CacheGate implements CacheAvailability {
  readonly #deps: Required<CacheGateDeps>;
  readonly #probeIntervalMs: number;
  readonly #sweepMarginMs: number;
  readonly #failureLimit: number;
  #failuresInARow = 0;
  /** Start-up counts as a fence: a new process cannot know what happened before it. */
  #fenced = true;
  /** Bumped by every failure, even while fenced: a sweep only unfences if none happened while it ran. */
  #fenceEpoch = 0;
  #recovering = false;
  #lastSuccessAt: number;
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;
  #running = false;
  #reported: CacheGateState | undefined;
  readonly #closedWaiters = new Set<() => void>();

  constructor(deps: CacheGateDeps, options: CacheGateOptions = {}) {
    this.#deps = { onStateChange: () => {}, now: Date.now, isLocalStall: () => false, ...deps };
    this.#probeIntervalMs = options.probeIntervalMs ?? 500;
    this.#sweepMarginMs = options.sweepMarginMs ?? 15_000;
    this.#failureLimit = options.consecutiveFailures ?? 3;
    if (!Number.isSafeInteger(this.#failureLimit) || this.#failureLimit < 1) {
      throw new RangeError('CacheGate consecutiveFailures must be a positive integer');
    }
    if (!Number.isSafeInteger(this.#probeIntervalMs) || this.#probeIntervalMs < 1) {
      throw new RangeError('CacheGate probeIntervalMs must be a positive integer');
    }
    if (!Number.isSafeInteger(this.#sweepMarginMs) || this.#sweepMarginMs < 0) {
      throw new RangeError('CacheGate sweepMarginMs must be a non-negative integer');
    }
    this.#lastSuccessAt = this.#deps.now();
  }

  get state(): CacheGateState {
    if (this.#recovering) return 'recovering';
    return this.#fenced || this.#deps.breaker.state !== 'closed' ? 'open' : 'closed';
  }

  get usable(): boolean {
    return !this.#fenced && this.#deps.breaker.state === 'closed';
  }

  /** Starts the probe loop; the first tick runs the start-up sweep. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#fenced) this.#report('open', 'starting');
    this.#schedule(0);
  }

  /** Stops the probe loop and waits for a running probe or sweep. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#tick;
  }

  /** Resolves when the gate is usable, or rejects after `timeoutMs` (start-up, tests). */
  whenUsable(timeoutMs: number): Promise<void> {
    if (this.usable) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#closedWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#closedWaiters.delete(done);
        reject(new Error(`cache did not become usable within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#closedWaiters.add(done);
    });
  }

  async call<T>(op: () => Promise<T>): Promise<T> {
    if (!this.usable) throw new CacheUnavailableError();
    try {
      const result = await this.#deps.breaker.run(op);
      this.#failuresInARow = 0;
      this.#lastSuccessAt = this.#deps.now();
      return result;
    } catch (error) {
      // The request ran out of its own time (a slow PostgreSQL, say): nothing is known about Redis.
      if (isRequestDeadlineExceeded(error)) throw error;
      if (!this.#deps.isLocalStall()) this.#failuresInARow++;
      if (this.#deps.breaker.state !== 'closed') this.#fence('breaker opened');
      else if (this.#failuresInARow >= this.#failureLimit)
        this.#fence(`${this.#failuresInARow} failures in a row`);
      throw error;
    }
  }

  async invalidate<T>(op: () => Promise<T>): Promise<T> {
    try {
      const result = await op();
      if (!this.#fenced) this.#lastSuccessAt = this.#deps.now();
      return result;
    } catch (error) {
      this.#fence('invalidation failed');
      throw error;
    }
  }

  /** Fences at once (e.g. the client reported a dropped connection). */
  trip(reason: string): void {
    this.#fence(reason);
  }

  #fence(reason: string): void {
    this.#fenceEpoch++;
    if (this.#fenced) return;
    this.#fenced = true;
    this.#report('open', reason);
  }

  #report(state: CacheGateState, reason: string): void {
    if (state === this.#reported) return;
    this.#reported = state;
    this.#deps.onStateChange(state, reason);
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#tick = this.#runTick().finally(() => this.#schedule(this.#probeIntervalMs));
    }, delayMs);
    this.#timer.unref();
  }

  async #runTick(): Promise<void> {
    const { breaker, probe, sweep, now } = this.#deps;
    try {
      // Through the breaker: while it is open this fails at once; half-open, this PING is its probe call.
      await breaker.run(probe);
    } catch {
      this.#fence('probe failed');
      return;
    }
    if (!this.#fenced) {
      this.#lastSuccessAt = now();
      return;
    }
    this.#recovering = true;
    this.#report('recovering', 'redis answers');
    const since = new Date(this.#lastSuccessAt - this.#sweepMarginMs);
    const epoch = this.#fenceEpoch;
    try {
      await sweep(since);
    } catch {
      this.#report('open', 'recovery sweep failed');
      return;
    } finally {
      this.#recovering = false;
    }
    // An invalidation that failed while the sweep ran may not be in it: sweep again next tick.
    if (!this.#running || epoch !== this.#fenceEpoch || breaker.state !== 'closed') {
      this.#report('open', 'failure during the recovery sweep');
      return;
    }
    this.#failuresInARow = 0;
    this.#fenced = false;
    this.#lastSuccessAt = now();
    this.#report('closed', 'recovery sweep done');
    for (const waiter of [...this.#closedWaiters]) waiter();
  }
}
