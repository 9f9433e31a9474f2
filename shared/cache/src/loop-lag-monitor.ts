import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** Options of {@link LoopLagMonitor}. */
export interface LoopLagMonitorOptions {
  /** Sampling resolution of the event-loop delay histogram, in ms. @default 10 */
  resolutionMs?: number;
  /** Length of one window; the monitor reports the worst delay of the current and the previous window. @default 1000 */
  windowMs?: number;
}

/**
 * Reports how late this process's event loop has recently been. A Redis command "times out" when its
 * timer fires, and a timer fires late when the loop is blocked (GC pause, CPU saturation): such a timeout
 * says nothing about Redis. The cache gate uses this to keep our own stalls from fencing the cache and
 * sending every read to PostgreSQL, which would only deepen the overload.
 */
export class LoopLagMonitor {
  readonly #histogram: IntervalHistogram;
  readonly #windowMs: number;
  #previousMaxMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LoopLagMonitorOptions = {}) {
    const resolution = options.resolutionMs ?? 10;
    this.#windowMs = options.windowMs ?? 1000;
    if (!Number.isSafeInteger(resolution) || resolution < 1) throw new RangeError('resolutionMs must be ≥ 1');
    if (!Number.isSafeInteger(this.#windowMs) || this.#windowMs < 1)
      throw new RangeError('windowMs must be ≥ 1');
    this.#histogram = monitorEventLoopDelay({ resolution });
  }

  start(): void {
    if (this.#timer) return;
    this.#histogram.enable();
    this.#timer = setInterval(() => {
      this.#previousMaxMs = this.#currentMaxMs();
      this.#histogram.reset();
    }, this.#windowMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
  }

  /** The worst event-loop delay seen over the last one to two windows, in ms. */
  recentMaxMs(): number {
    return Math.max(this.#previousMaxMs, this.#currentMaxMs());
  }

  #currentMaxMs(): number {
    // The histogram counts delay beyond the sampling resolution; max is 0 before the first sample.
    const max = this.#histogram.max;
    return Number.isFinite(max) && max > 0 ? max / 1e6 : 0;
  }
}
