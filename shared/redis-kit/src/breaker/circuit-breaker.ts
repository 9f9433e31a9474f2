import { ReplyError } from 'ioredis';
import Opossum from 'opossum';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { CircuitOpenError, RedisKitError } from '../errors';
import { gauge } from '../internal/metrics';
import { functionSchema, positiveInt, registrySchema, resolveOptions } from '../internal/options';

/** `closed`: calls go through. `open`: calls fail at once. `half-open`: one probe call decides. */
export type CircuitState = 'closed' | 'half-open' | 'open';

/** Options for a circuit breaker around request-path Redis calls. */
export interface CircuitBreakerOptions {
  /** The `name` label of the state gauge (e.g. `user-cache`). Required. */
  name: string;
  /** Open when more than this percentage of calls in the window failed. @default 50 */
  failureThresholdPercentage?: number;
  /** ... and at least this many calls were made in the window (so one early failure cannot open it). @default 10 */
  minimumCalls?: number;
  /** The rolling window over which failures are counted. @default 10000 */
  windowMs?: number;
  /** Buckets in the rolling window (windowMs must divide evenly). @default 10 */
  windowBuckets?: number;
  /** How long to stay open before letting one probe call through (half-open). @default 5000 */
  openDurationMs?: number;
  /**
   * Which errors count as failures. The default counts what says Redis is unavailable (timeouts, closed
   * connections, LOADING/BUSY/CLUSTERDOWN/MASTERDOWN/TRYAGAIN/READONLY/OOM/NOAUTH replies) and ignores
   * other server replies (WRONGTYPE, a script error) and this package's own validation errors.
   * @default isRedisUnavailableError
   */
  isFailure?: (error: unknown) => boolean;
  /** Registers `redwire_circuit_breaker_state{name}` (0 closed, 1 half-open, 2 open) here. @default none */
  registry?: Registry;
}

const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|OOM|NOAUTH|WRONGPASS)\b/;

/** True for errors that mean Redis could not serve the call (the default `isFailure`). */
export function isRedisUnavailableError(error: unknown): boolean {
  if (error instanceof RedisKitError) return false;
  if (error instanceof ReplyError) return UNAVAILABLE_REPLIES.test((error as Error).message);
  return true;
}

const schema = z
  .object({
    name: z.string().min(1),
    failureThresholdPercentage: z.number().min(1).max(100).default(50),
    minimumCalls: positiveInt().default(10),
    windowMs: positiveInt().default(10_000),
    windowBuckets: positiveInt().default(10),
    openDurationMs: positiveInt().default(5000),
    isFailure: functionSchema<(error: unknown) => boolean>().default(() => isRedisUnavailableError),
    registry: registrySchema.optional(),
  })
  .refine((o) => o.windowMs % o.windowBuckets === 0, 'windowMs must be a multiple of windowBuckets');

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, 'half-open': 1, open: 2 };

type Call = () => Promise<unknown>;

/**
 * A circuit breaker for request-path Redis calls (opossum underneath, its own timeout off: the client's
 * commandTimeout already bounds each call). While open, `run` rejects with CircuitOpenError without
 * touching Redis; the caller applies its failure policy (serve from PostgreSQL, fail closed, ...).
 */
export class CircuitBreaker {
  readonly name: string;
  private readonly breaker: Opossum<[Call], unknown>;

  constructor(options: CircuitBreakerOptions) {
    const o = resolveOptions('CircuitBreaker', schema, options);
    this.name = o.name;
    this.breaker = new Opossum((call: Call) => call(), {
      name: o.name,
      timeout: false,
      errorThresholdPercentage: o.failureThresholdPercentage,
      volumeThreshold: o.minimumCalls,
      rollingCountTimeout: o.windowMs,
      rollingCountBuckets: o.windowBuckets,
      resetTimeout: o.openDurationMs,
      errorFilter: (error: unknown) => !o.isFailure(error),
      enableSnapshots: false,
    });
    const state = gauge(
      o.registry,
      'redwire_circuit_breaker_state',
      'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      ['name'],
    );
    if (state) {
      state.set({ name: o.name }, 0);
      this.breaker.on('open', () => state.set({ name: o.name }, STATE_VALUE.open));
      this.breaker.on('halfOpen', () => state.set({ name: o.name }, STATE_VALUE['half-open']));
      this.breaker.on('close', () => state.set({ name: o.name }, STATE_VALUE.closed));
    }
  }

  /** The current state. */
  get state(): CircuitState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half-open' : 'closed';
  }

  /** Runs `call` through the breaker; rejects with CircuitOpenError when it may not run. */
  run<T>(call: () => Promise<T>): Promise<T> {
    // Same admission rule as opossum (closed, or half-open with the probe not yet taken), checked here
    // so the rejection is our typed error.
    if (!this.breaker.closed && !this.breaker.pendingClose)
      return Promise.reject(new CircuitOpenError(this.name));
    return this.breaker.fire(call) as Promise<T>;
  }

  /** Stops the breaker's timers; `run` rejects afterwards. */
  shutdown(): void {
    this.breaker.shutdown();
  }
}
