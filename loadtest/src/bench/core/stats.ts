/** Summary statistics of a set of measurements (rounds of one variant). */

/** The median; NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** (max − min) / median: how far apart the rounds were, relative to the typical one (0 when all equal). */
export function spread(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const range = Math.max(...values) - Math.min(...values);
  if (range === 0) return 0;
  const m = median(values);
  // A zero median with a non-zero range (e.g. rounds that all failed but one) has no finite spread.
  return m === 0 ? Number.POSITIVE_INFINITY : range / Math.abs(m);
}

/**
 * The q-quantile (0..1) of samples already sorted ascending, nearest-rank: the smallest sample at or
 * above which a fraction q of samples lie. NaN for no samples.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** p50/p99/max of latency samples (ms). */
export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export function summarizeLatencies(samples: readonly number[] | Float64Array): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    p50Ms: quantileSorted(sorted, 0.5),
    p99Ms: quantileSorted(sorted, 0.99),
    maxMs: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
  };
}

/**
 * Ratio of two variants measured round by round: each round's pair ran back to back, so a per-round
 * ratio cancels the machine's drift between rounds. Returns the median of the per-round ratios, and
 * their spread.
 */
export function pairedRatio(
  numerator: readonly (number | undefined)[],
  denominator: readonly (number | undefined)[],
): { value: number; perRound: number[]; spread: number } | undefined {
  const perRound: number[] = [];
  for (let i = 0; i < Math.min(numerator.length, denominator.length); i++) {
    const a = numerator[i];
    const b = denominator[i];
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) continue;
    perRound.push(a / b);
  }
  if (perRound.length === 0) return undefined;
  return { value: median(perRound), perRound, spread: spread(perRound) };
}
