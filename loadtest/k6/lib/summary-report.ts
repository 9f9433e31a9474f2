// handleSummary's output: `<RESULTS_DIR>/<scenario>.json` plus a short text summary on stdout.
// Pure (no k6 imports) so the vitest suite can exercise it under Node.
import type { QuotaVerdict } from './quota-verdict.ts';

/** One metric as k6 hands it to handleSummary (k6's summary.go `summarizeMetricsToObject`). */
export interface SummaryMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  contains: 'default' | 'time' | 'data';
  /** counter: count, rate; gauge: value, min, max; rate: rate, passes, fails; trend: `summaryTrendStats`. */
  values: Record<string, number>;
  /** Threshold source → outcome; present only on metrics that carry thresholds. */
  thresholds?: Record<string, { ok: boolean }>;
}

/** The object k6 passes to `handleSummary(data)`. */
export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  state: { testRunDurationMs: number; isStdOutTTY?: boolean; isStdErrTTY?: boolean };
  /** `setup()`'s return value: it holds tokens and the run password, so it never reaches a results file. */
  setup_data?: unknown;
  root_group?: unknown;
  options?: unknown;
}

/** What one entry script reports. */
export interface SummaryInput {
  /** The entry file's name without extension; names the results file. */
  scenario: string;
  data: SummaryData;
  resultsDir: string;
  /** The effective configuration (no secrets). */
  config: Record<string, string | number | boolean>;
  /** Metric keys (submetrics included) shown with their values even without a threshold. */
  highlights: string[];
  /** Judgements made after the run (the rate-limit burst's quota comparison), by scenario. */
  verdicts?: Record<string, QuotaVerdict>;
}

/** One evaluated threshold. */
export interface ThresholdResult {
  metric: string;
  threshold: string;
  ok: boolean;
  /** The statistic the threshold tested, e.g. `p(95)=12.40ms`. */
  observed: string | undefined;
}

const STAT = /^\s*(avg|min|max|med|count|rate|value|p\(\d+(?:\.\d+)?\))/;

const formatStat = (metric: SummaryMetric, stat: string): string | undefined => {
  const v = metric.values[stat];
  if (v === undefined) return undefined;
  if (stat === 'count') return `count=${v}`;
  if (metric.type === 'rate') return `${stat}=${(v * 100).toFixed(2)}%`;
  return `${stat}=${metric.contains === 'time' ? `${v.toFixed(2)}ms` : String(Number(v.toFixed(3)))}`;
};

/** A metric's values on one line, in a form suited to its type. */
export function formatMetric(metric: SummaryMetric): string {
  const v = metric.values;
  switch (metric.type) {
    case 'counter':
      return `${v.count ?? 0} (${(v.rate ?? 0).toFixed(2)}/s)`;
    case 'rate': {
      const total = (v.passes ?? 0) + (v.fails ?? 0);
      return `${((v.rate ?? 0) * 100).toFixed(2)}% (${v.passes ?? 0} of ${total})`;
    }
    case 'gauge':
      return `${v.value ?? 0} (min ${v.min ?? 0}, max ${v.max ?? 0})`;
    case 'trend':
      return ['avg', 'p(95)', 'p(99)', 'max', 'count']
        .map((stat) => formatStat(metric, stat))
        .filter((s): s is string => s !== undefined)
        .join(' ');
  }
}

/** Every threshold of the run, sorted by metric. */
export function collectThresholds(data: SummaryData): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const metric of Object.keys(data.metrics).sort()) {
    const m = data.metrics[metric];
    for (const [threshold, { ok }] of Object.entries(m?.thresholds ?? {})) {
      const stat = STAT.exec(threshold)?.[1];
      results.push({ metric, threshold, ok, observed: m && stat ? formatStat(m, stat) : undefined });
    }
  }
  return results;
}

/** The files handleSummary returns: the JSON report and stdout. */
export function buildSummary(input: SummaryInput): Record<string, string> {
  const { data, scenario } = input;
  const thresholds = collectThresholds(data);
  const verdicts = input.verdicts ?? {};
  const ok = thresholds.every((t) => t.ok) && Object.values(verdicts).every((v) => v.verdict === 'pass');
  const highlights: Record<string, SummaryMetric['values']> = {};
  for (const key of input.highlights) {
    const metric = data.metrics[key];
    if (metric !== undefined) highlights[key] = metric.values;
  }
  const path = `${input.resultsDir}/${scenario}.json`;
  const report = {
    scenario,
    ok,
    generatedAt: new Date().toISOString(),
    testRunDurationMs: data.state.testRunDurationMs,
    config: input.config,
    thresholds,
    verdicts,
    highlights,
    k6: { ...data, setup_data: undefined },
  };

  const lines = [
    `redwire k6 · ${scenario} · ${(data.state.testRunDurationMs / 1000).toFixed(1)} s · ${ok ? 'PASS' : 'FAIL'}`,
    `thresholds (${thresholds.filter((t) => t.ok).length} of ${thresholds.length} passed)`,
    ...thresholds.map(
      (t) =>
        `  ${t.ok ? 'ok  ' : 'FAIL'}  ${t.metric}  ${t.threshold}${t.observed ? `  → ${t.observed}` : ''}`,
    ),
    'metrics',
    ...input.highlights
      .filter((key) => data.metrics[key] !== undefined)
      .map((key) => `  ${key}  ${formatMetric(data.metrics[key] as SummaryMetric)}`),
    ...Object.entries(verdicts).map(([name, v]) => `rate limit (${name}): ${v.verdict}: ${v.explanation}`),
    `results: ${path}`,
    '',
  ];
  return { [path]: JSON.stringify(report, null, 2), stdout: lines.join('\n') };
}
