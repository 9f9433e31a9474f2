import { performance } from 'node:perf_hooks';
import type { ThroughputSample } from './bench.types';
import { summarizeLatencies } from './stats';

/** Each caller yields to the event loop after this many calls. */
const YIELD_EVERY = 64;

/** Options of {@link runClosedLoop}. */
export interface ClosedLoopOptions {
  /** Concurrent callers, each awaiting its previous call before the next (docs/measurements.md anchors: 64). */
  readonly callers: number;
  /** How long to keep calling, in ms. */
  readonly durationMs: number;
}

/**
 * Drives an async operation in-process with N callers in a closed loop (each caller issues its next call
 * as soon as the previous one settles) and reports completed calls per second and latency percentiles.
 * `op` throws to report an unexpected outcome; the error is counted, not rethrown.
 */
export async function runClosedLoop(
  op: (caller: number, iteration: number) => Promise<unknown>,
  options: ClosedLoopOptions,
): Promise<ThroughputSample> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + options.durationMs;
  let lastDone = start;

  const caller = async (index: number) => {
    for (let i = 0; ; i++) {
      // An operation answered in-process (an L1 hit, a deny-cache hit) settles as a microtask, so without
      // this the loop would never let timers and I/O run: the part's own probes and timeouts would stall,
      // as no real server (which yields between requests) would let them.
      if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise<void>((resolve) => setImmediate(resolve));
      const t0 = performance.now();
      if (t0 >= end) return;
      try {
        await op(index, i);
        const t1 = performance.now();
        latencies.push(t1 - t0);
        lastDone = t1;
      } catch (error) {
        errors++;
        lastDone = performance.now();
        firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.callers }, (_, i) => caller(i)));

  const elapsedS = (lastDone - start) / 1000;
  const { p50Ms, p99Ms, maxMs } = summarizeLatencies(latencies);
  return {
    opsPerSec: elapsedS > 0 ? latencies.length / elapsedS : 0,
    ops: latencies.length,
    errors,
    p50Ms,
    p99Ms,
    maxMs,
    ...(firstError ? { firstError } : {}),
  };
}
