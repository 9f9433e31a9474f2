import type { CaseResult, TargetResult, ThroughputCaseResult } from '../core/bench.types';
import { pairedRatio } from '../core/stats';

/** A target from the issue, set from docs/measurements.md's anchor ratios. Reported, never asserted. */
interface Goal {
  readonly id: string;
  readonly description: string;
  readonly op: '>=' | '<=';
  readonly threshold: number;
  readonly unit: '×' | 'ms' | 'B';
  readonly anchor?: string;
  /** Where the number comes from. */
  readonly source:
    | { readonly kind: 'ratio'; readonly caseId: string; readonly variant: string; readonly against: string }
    | { readonly kind: 'lag-p99'; readonly caseId: string; readonly variant: string }
    | { readonly kind: 'bytes'; readonly caseId: string; readonly entry: string };
}

export const GOALS: readonly Goal[] = [
  {
    id: 'limiter-allow',
    description: 'limiter allow path, 2 policies ≥ 1.0× rate-limiter-flexible doing 1',
    op: '>=',
    threshold: 1.0,
    unit: '×',
    anchor: 'docs/measurements.md: a GCRA EVALSHA 0.63, rate-limiter-flexible 0.71 of a trivial EVALSHA',
    source: { kind: 'ratio', caseId: 'limiter-allow', variant: 'redwire-2', against: 'rlf-1' },
  },
  {
    id: 'limiter-deny',
    description: 'limiter deny path ≥ 5× rate-limiter-flexible',
    op: '>=',
    threshold: 5,
    unit: '×',
    source: { kind: 'ratio', caseId: 'limiter-deny', variant: 'redwire-2', against: 'rlf-1' },
  },
  {
    id: 'cache-l2',
    description: 'cache L2 hit ≥ 0.9× raw GET + JSON.parse',
    op: '>=',
    threshold: 0.9,
    unit: '×',
    anchor: 'bentocache L2: 0.54',
    source: { kind: 'ratio', caseId: 'cache-hit', variant: 'redwire-l2', against: 'raw-get' },
  },
  {
    id: 'cache-l1l2',
    description: 'cache L1+L2 hit ≥ 1.5× raw GET + JSON.parse',
    op: '>=',
    threshold: 1.5,
    unit: '×',
    anchor: 'bentocache L1+L2: 1.24',
    source: { kind: 'ratio', caseId: 'cache-hit', variant: 'redwire-l1l2', against: 'raw-get' },
  },
  {
    id: 'session',
    description: 'session validation ≥ 0.75× the bare Express route',
    op: '>=',
    threshold: 0.75,
    unit: '×',
    anchor: 'express-session + connect-redis: 0.55–0.60; one HGETALL: 0.77',
    source: { kind: 'ratio', caseId: 'session', variant: 'redwire', against: 'bare' },
  },
  {
    id: 'gateway-direct',
    description: 'gateway end to end ≥ 0.45× the backend direct',
    op: '>=',
    threshold: 0.45,
    unit: '×',
    anchor: 'http-proxy-middleware + keep-alive: 0.36; bare node:http keep-alive proxy: 0.65',
    source: { kind: 'ratio', caseId: 'gateway', variant: 'gateway', against: 'direct' },
  },
  {
    id: 'gateway-hpm',
    description: 'gateway end to end ≥ 1.25× http-proxy-middleware with keep-alive',
    op: '>=',
    threshold: 1.25,
    unit: '×',
    source: { kind: 'ratio', caseId: 'gateway', variant: 'gateway', against: 'hpm' },
  },
  {
    id: 'lag-sync',
    description: 'invalidation lag p99 ≤ 20 ms (synchronous path)',
    op: '<=',
    threshold: 20,
    unit: 'ms',
    source: { kind: 'lag-p99', caseId: 'invalidation-lag', variant: 'sync' },
  },
  {
    id: 'lag-event',
    description: 'invalidation lag p99 ≤ 250 ms (event path)',
    op: '<=',
    threshold: 250,
    unit: 'ms',
    source: { kind: 'lag-p99', caseId: 'invalidation-lag', variant: 'event' },
  },
  {
    id: 'bytes-limiter',
    description: 'a limiter key ≤ 110 B',
    op: '<=',
    threshold: 110,
    unit: 'B',
    source: { kind: 'bytes', caseId: 'memory', entry: 'redwire-limiter' },
  },
  {
    id: 'bytes-session',
    description: 'a session ≤ 600 B',
    op: '<=',
    threshold: 600,
    unit: 'B',
    source: { kind: 'bytes', caseId: 'memory', entry: 'redwire-session' },
  },
];

function format(value: number, unit: Goal['unit']): string {
  if (unit === '×') return `${value.toFixed(2)}×`;
  if (unit === 'ms') return `${value.toFixed(1)} ms`;
  return `${Math.round(value)} B`;
}

function roundsOf(result: ThroughputCaseResult, variant: string): (number | undefined)[] {
  const byRound: (number | undefined)[] = [];
  for (const run of result.variants.find((v) => v.id === variant)?.runs ?? [])
    byRound[run.round - 1] = run.opsPerSec;
  return byRound;
}

/** Why a variant has no number: its own status reason, or that the case is absent. */
function missingReason(cases: readonly CaseResult[], caseId: string, ids: readonly string[]): string {
  const found = cases.find((c) => c.id === caseId);
  if (!found) return `case ${caseId} was not run`;
  const all = found.kind === 'memory' ? found.entries : found.variants;
  for (const id of ids) {
    const v = all.find((x) => x.id === id);
    if (!v) return `${id} is not part of ${caseId}`;
    if (v.status !== 'measured') return `${v.label}: ${v.status}${v.reason ? ` (${v.reason})` : ''}`;
  }
  return 'no data';
}

function actualOf(goal: Goal, cases: readonly CaseResult[]): { value?: number; detail: string } {
  const { source } = goal;
  const found = cases.find((c) => c.id === source.caseId);
  if (source.kind === 'ratio') {
    if (found?.kind !== 'throughput') return { detail: missingReason(cases, source.caseId, []) };
    const ratio = pairedRatio(roundsOf(found, source.variant), roundsOf(found, source.against));
    if (!ratio) return { detail: missingReason(cases, source.caseId, [source.variant, source.against]) };
    const rounds = ratio.perRound.map((r) => r.toFixed(2)).join(', ');
    return {
      value: ratio.value,
      detail: `median of per-round ratios [${rounds}], spread ${(ratio.spread * 100).toFixed(0)} %`,
    };
  }
  if (source.kind === 'lag-p99') {
    const variant = found?.kind === 'lag' ? found.variants.find((v) => v.id === source.variant) : undefined;
    if (!variant?.overall) return { detail: missingReason(cases, source.caseId, [source.variant]) };
    const o = variant.overall;
    return {
      value: o.p99Ms,
      detail: `${o.samples} writes, p50 ${o.p50Ms.toFixed(1)} ms, max ${o.maxMs.toFixed(1)} ms${o.lost ? `, ${o.lost} never observed` : ''}`,
    };
  }
  const entry = found?.kind === 'memory' ? found.entries.find((e) => e.id === source.entry) : undefined;
  if (entry?.bytes === undefined) return { detail: missingReason(cases, source.caseId, [source.entry]) };
  return {
    value: entry.bytes,
    detail: `MEMORY USAGE of ${entry.key ?? 'the key'}${entry.detail ? `; ${entry.detail}` : ''}`,
  };
}

/** Checks every goal against the run. */
export function evaluateGoals(cases: readonly CaseResult[]): TargetResult[] {
  return GOALS.map((goal) => {
    const { value, detail } = actualOf(goal, cases);
    const base = {
      id: goal.id,
      description: goal.description,
      op: goal.op,
      threshold: goal.threshold,
      unit: goal.unit,
      ...(goal.anchor ? { anchor: goal.anchor } : {}),
    };
    if (value === undefined)
      return { ...base, verdict: 'not-measured' as const, detail: `not measured: ${detail}` };
    const met = goal.op === '>=' ? value >= goal.threshold : value <= goal.threshold;
    const gap =
      goal.op === '>='
        ? `${((1 - value / goal.threshold) * 100).toFixed(0)} % below the target`
        : `${((value / goal.threshold - 1) * 100).toFixed(0)} % above the target`;
    return {
      ...base,
      actual: value,
      verdict: met ? ('met' as const) : ('short' as const),
      detail: met ? detail : `${format(value, goal.unit)}: ${gap}; ${detail}`,
    };
  });
}

export { format as formatGoalValue };
