import type { BenchResults, TargetResult } from '../core/bench.types';

/** Number formatting shared by the Markdown and HTML reports. */

export function ops(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export function ms(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function pct(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(0)} %`;
}

export function ratio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  return `${value.toFixed(2)}×`;
}

export function verdictLabel(target: TargetResult): string {
  return target.verdict === 'met' ? 'met' : target.verdict === 'short' ? 'SHORT' : 'not measured';
}

export function targetActual(target: TargetResult): string {
  if (target.actual === undefined) return '–';
  if (target.unit === '×') return ratio(target.actual);
  if (target.unit === 'ms') return `${ms(target.actual)} ms`;
  return `${Math.round(target.actual)} B`;
}

export function targetThreshold(target: TargetResult): string {
  const op = target.op === '>=' ? '≥' : '≤';
  return target.unit === '×' ? `${op} ${target.threshold}×` : `${op} ${target.threshold} ${target.unit}`;
}

/** One line saying what was run where. */
export function runLine(results: BenchResults): string {
  const m = results.machine;
  const s = results.settings;
  return (
    `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform} · ` +
    `Node ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres} · load average ${m.loadAverage.toFixed(2)} at start · ` +
    `${s.mode} mode: ${s.rounds} rounds × ${s.durationMs / 1000} s per variant, interleaved, warm-up ${s.warmupMs / 1000} s · ` +
    `${Math.round(results.wallSeconds)} s wall${results.gitCommit ? ` · commit ${results.gitCommit.slice(0, 10)}` : ''}`
  );
}

/** How to read the numbers, shown at the top of both reports. */
export const READING_NOTES = [
  'Every variant of a case runs once per round, back to back with the others (order rotated each round); all baselines run in the same run.',
  'ratio = median over rounds of (variant ÷ baseline of the same round); spread = (max − min) ÷ median over rounds.',
  'Absolute numbers drift between runs and machines; ratios measured side by side are what to compare.',
];
