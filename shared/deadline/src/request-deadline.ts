import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Thrown (or used as the abort reason) when the current request's deadline has passed: its dependency work
 * must stop and the request answers 503. A dependency that gives up because of it is not failing: breakers,
 * gates and health counters must not count it (redis-kit's `isRedisUnavailableError` says false).
 */
export class RequestDeadlineExceededError extends Error {
  override readonly name = 'RequestDeadlineExceededError';
  constructor(readonly budgetMs: number) {
    super(`the request's ${budgetMs} ms budget for dependency work is spent`);
  }
}

/** True when `error` is (or was caused by) a {@link RequestDeadlineExceededError}. */
export function isRequestDeadlineExceeded(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof RequestDeadlineExceededError) return true;
  }
  return false;
}

/**
 * One deadline for all the dependency work of one request: pool waits, statements, Redis calls, calls to
 * other services. Created once per request (http-kit's `requestDeadline()` middleware) and found by the
 * kits through {@link currentDeadline}, so no repository or store has to pass it along.
 *
 * Times are on the monotonic `performance.now()` clock.
 */
export class RequestDeadline {
  /** The whole budget, for messages and metrics. */
  readonly budgetMs: number;
  /** `performance.now()` at which the deadline passes. */
  readonly expiresAt: number;
  #signal: AbortSignal | undefined;

  private constructor(budgetMs: number, expiresAt: number) {
    this.budgetMs = budgetMs;
    this.expiresAt = expiresAt;
  }

  /** A deadline `budgetMs` from now. */
  static after(budgetMs: number): RequestDeadline {
    if (!Number.isFinite(budgetMs) || budgetMs < 1) throw new RangeError('budgetMs must be at least 1');
    return new RequestDeadline(budgetMs, performance.now() + budgetMs);
  }

  /** Milliseconds left (0 once passed; fractional). */
  remainingMs(): number {
    return Math.max(0, this.expiresAt - performance.now());
  }

  get expired(): boolean {
    return performance.now() >= this.expiresAt;
  }

  /** Throws {@link RequestDeadlineExceededError} once the deadline has passed. */
  throwIfExpired(): void {
    if (this.expired) throw new RequestDeadlineExceededError(this.budgetMs);
  }

  /**
   * Aborts when the deadline passes (reason: {@link RequestDeadlineExceededError}), for APIs that take a
   * signal (fetch). Created on first use: most requests never need one.
   */
  get signal(): AbortSignal {
    if (!this.#signal) {
      const left = this.remainingMs();
      this.#signal =
        left > 0
          ? timeoutSignal(Math.ceil(left), this.budgetMs)
          : AbortSignal.abort(new RequestDeadlineExceededError(this.budgetMs));
    }
    return this.#signal;
  }

  /**
   * A deadline `ms` earlier than this one, for work that must leave time for a step after it (a write that
   * must leave its synchronous cache invalidation time to run). Never earlier than now.
   */
  reserve(ms: number): RequestDeadline {
    return new RequestDeadline(this.budgetMs, Math.max(performance.now(), this.expiresAt - ms));
  }
}

function timeoutSignal(ms: number, budgetMs: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new RequestDeadlineExceededError(budgetMs)), ms).unref();
  return controller.signal;
}

// `undefined` inside runOutsideDeadline: work started on behalf of a request but not bounded by it.
const storage = new AsyncLocalStorage<RequestDeadline | undefined>();

/** The deadline of the request being served, if any. Background work (workers, consumers) has none. */
export function currentDeadline(): RequestDeadline | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) under `deadline`. */
export function runWithDeadline<T>(deadline: RequestDeadline, fn: () => T): T {
  return storage.run(deadline, fn);
}

/**
 * Runs `fn` without a request deadline: work that must finish even though the request gave up (a
 * compensation, a coalesced batch shared by several requests), bounded by its own timeouts instead.
 */
export function runOutsideDeadline<T>(fn: () => T): T {
  return storage.run(undefined, fn);
}

/**
 * Runs `fn` under a deadline `ms` earlier than the current one, leaving that much of the budget for a step
 * after it; without a current deadline it just runs `fn`.
 */
export function runWithReserve<T>(ms: number, fn: () => T): T {
  const deadline = currentDeadline();
  return deadline ? storage.run(deadline.reserve(ms), fn) : fn();
}

/**
 * Settles like `promise`, or rejects with {@link RequestDeadlineExceededError} when the current request's
 * deadline passes first; without a deadline it is `promise` itself. Like `withDeadline`, a timer that fires
 * yields one event-loop turn before rejecting, so an answer already received still wins. The work is not
 * cancelled; its later failure is swallowed here.
 */
export function withinRequestDeadline<T>(promise: Promise<T>): Promise<T> {
  const deadline = currentDeadline();
  if (!deadline) return promise;
  promise.catch(() => {});
  const left = deadline.remainingMs();
  if (left <= 0) return Promise.reject(new RequestDeadlineExceededError(deadline.budgetMs));
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => setImmediate(() => reject(new RequestDeadlineExceededError(deadline.budgetMs))),
        Math.ceil(left),
      );
    }),
  ]).finally(() => clearTimeout(timer));
}
