/** The algorithms a policy may use. Each has a Lua include and an identical TypeScript model. */
export type AlgorithmName = 'gcra' | 'sliding-window' | 'fixed-window';

/** Outcome of one policy for one request. `unsatisfiable`: the cost exceeds the burst/limit, so waiting never helps. */
export type CheckStatus = 'allowed' | 'denied' | 'unsatisfiable';

/** What a check reports, in the units of the scripts (microseconds of Redis time). */
export interface CheckResult {
  readonly status: CheckStatus;
  /** Whole units left after this request when allowed, before it when denied. */
  readonly remaining: number;
  /** Allowed: µs until one more unit is available (0 when full). Denied: µs until `cost` units are. Unsatisfiable: -1. */
  readonly waitUs: number;
}

/** A state transition computed by a model: the result, plus the state to store if the request is admitted. */
export interface ModelStep<S> {
  readonly result: CheckResult;
  /** Present when an admission changes state. */
  readonly next?: { readonly state: S; readonly ttlUs: number };
}

/**
 * One rate-limit algorithm: its Lua include (evaluated inside decide-N.lua) and a TypeScript model with the
 * same arithmetic. The model is the reference the Lua is tested against and the in-process fallback limiter.
 */
export interface Algorithm<S> {
  readonly name: AlgorithmName;
  /** The number decide-N.lua dispatches on. */
  readonly code: 1 | 2 | 3;
  /** File name of the Lua include, next to this module. */
  readonly luaFile: string;
  /** The model of `check` in the Lua include. `now` is µs. */
  check(state: S | undefined, now: number, p1: number, p2: number, cost: number): ModelStep<S>;
  /** The model of `refund` in the Lua include, for a reservation made at `reservedAt`. */
  refund(
    state: S | undefined,
    now: number,
    reservedAt: number,
    p1: number,
    p2: number,
    cost: number,
  ): S | undefined;
}
