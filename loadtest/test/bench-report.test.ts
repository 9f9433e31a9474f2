import { describe, expect, it } from 'vitest';
import type { BenchResults, ThroughputCaseResult } from '../src/bench/core/bench.types';
import { promCounter } from '../src/bench/core/prom-text';
import { median, pairedRatio, quantileSorted, spread } from '../src/bench/core/stats';
import { evaluateGoals } from '../src/bench/report/goals';
import { renderHtml } from '../src/bench/report/html.report';
import { renderMarkdown } from '../src/bench/report/markdown.report';

function run(round: number, opsPerSec: number) {
  return { round, opsPerSec, ops: opsPerSec, errors: 0, p50Ms: 1, p99Ms: 5, maxMs: 9 };
}

const limiterCase: ThroughputCaseResult = {
  kind: 'throughput',
  id: 'limiter-allow',
  title: 'Rate limiter, allow path',
  unit: 'decisions/s',
  driver: 'in-process closed loop, 64 callers',
  baseline: 'evalsha-floor',
  notes: ['a note'],
  variants: [
    {
      id: 'evalsha-floor',
      label: 'floor',
      role: 'baseline',
      description: 'd',
      status: 'measured',
      runs: [run(1, 100), run(2, 50)],
      median: { opsPerSec: 75, p50Ms: 1, p99Ms: 5 },
      spread: 50 / 75,
    },
    {
      id: 'rlf-1',
      label: 'rlf <1>',
      role: 'baseline',
      description: 'd',
      status: 'measured',
      runs: [run(1, 60), run(2, 30)],
      median: { opsPerSec: 45, p50Ms: 1, p99Ms: 5 },
      spread: 30 / 45,
    },
    {
      id: 'redwire-2',
      label: 'redwire',
      role: 'redwire',
      description: 'd',
      status: 'measured',
      runs: [run(1, 66), run(2, 36)],
      median: { opsPerSec: 51, p50Ms: 1, p99Ms: 5 },
      spread: 30 / 51,
    },
  ],
};

function results(): BenchResults {
  return {
    schema: 1,
    suite: 'redwire-bench',
    startedAt: '2025-01-01T00:00:00.000Z',
    finishedAt: '2025-01-01T00:05:00.000Z',
    wallSeconds: 300,
    machine: {
      hostname: 'h',
      cpus: 2,
      cpuModel: 'cpu',
      memoryGiB: 24,
      platform: 'Linux',
      node: '20',
      redis: '7.0.15',
      postgres: '15',
      loadAverage: 0.5,
    },
    settings: {
      mode: 'full',
      rounds: 2,
      durationMs: 4000,
      warmupMs: 1000,
      callers: 64,
      connections: 50,
      lagWrites: 100,
    },
    cases: [
      limiterCase,
      {
        kind: 'memory',
        id: 'memory',
        title: 'Bytes per key',
        notes: [],
        entries: [
          {
            id: 'redwire-limiter',
            label: 'limiter key',
            role: 'redwire',
            status: 'measured',
            bytes: 104,
            key: 'k',
          },
          {
            id: 'redwire-session',
            label: 'session',
            role: 'redwire',
            status: 'missing',
            reason: 'auth not built',
          },
        ],
      },
    ],
    targets: [],
  };
}

describe('bench statistics', () => {
  it('when values are given, then median, spread and nearest-rank quantiles follow their definitions', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(spread([90, 100, 110])).toBeCloseTo(0.2);
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileSorted(sorted, 0.5)).toBe(50);
    expect(quantileSorted(sorted, 0.99)).toBe(99);
  });

  it('when two variants ran in the same rounds, then the ratio is the median of per-round ratios', () => {
    const ratio = pairedRatio([66, 36], [60, 30]);
    expect(ratio?.perRound).toEqual([1.1, 1.2]);
    expect(ratio?.value).toBeCloseTo(1.15);
    expect(pairedRatio([1], [undefined])).toBeUndefined();
  });
});

describe('bench targets and reports', () => {
  it('when a ratio clears the target, then it is met; when a part is missing, then not measured with its reason', () => {
    const targets = evaluateGoals(results().cases);
    const allow = targets.find((t) => t.id === 'limiter-allow');
    expect(allow?.verdict).toBe('met');
    expect(allow?.actual).toBeCloseTo(1.15);
    expect(targets.find((t) => t.id === 'bytes-limiter')?.verdict).toBe('met');
    const session = targets.find((t) => t.id === 'bytes-session');
    expect(session?.verdict).toBe('not-measured');
    expect(session?.detail).toContain('auth not built');
    expect(targets.find((t) => t.id === 'gateway-direct')?.detail).toContain('case gateway was not run');
  });

  it('when a number misses its target, then the verdict is short and says by how much', () => {
    const r = results();
    const memory = r.cases[1];
    if (memory?.kind !== 'memory') throw new Error('fixture');
    const entries = [{ ...memory.entries[0], bytes: 132 }] as typeof memory.entries;
    const targets = evaluateGoals([r.cases[0] as ThroughputCaseResult, { ...memory, entries }]);
    const limiterKey = targets.find((t) => t.id === 'bytes-limiter');
    expect(limiterKey?.verdict).toBe('short');
    expect(limiterKey?.detail).toContain('20 % above the target');
  });

  it('when rendered, then Markdown and HTML show every variant, escape labels and draw SVG charts', () => {
    const r = { ...results(), targets: evaluateGoals(results().cases) };
    const md = renderMarkdown(r);
    expect(md).toContain('| **redwire** |');
    expect(md).toContain('1.15×');
    expect(md).toContain('not measured: auth not built');
    const html = renderHtml(r);
    expect(html).toContain('rlf &lt;1&gt;');
    expect(html).not.toContain('rlf <1>');
    expect(html.match(/<svg/g)?.length).toBe(4);
  });
});

describe('Prometheus text parsing', () => {
  it('when a counter has several label sets, then only the matching samples are summed', () => {
    const text = [
      '# HELP redwire_user_cache_invalidations_total Cache invalidations',
      '# TYPE redwire_user_cache_invalidations_total counter',
      'redwire_user_cache_invalidations_total{path="event",outcome="invalidated"} 7',
      'redwire_user_cache_invalidations_total{path="event",outcome="failed"} 2',
      'redwire_user_cache_invalidations_total{path="job",outcome="invalidated"} 1',
      'redwire_user_cache_invalidations_total_other{path="event",outcome="failed"} 99',
    ].join('\n');
    const name = 'redwire_user_cache_invalidations_total';
    expect(promCounter(text, name, { path: 'event', outcome: 'failed' })).toBe(2);
    expect(promCounter(text, name, { path: 'event' })).toBe(9);
    expect(promCounter(text, name, { path: 'sweep' })).toBe(0);
  });
});
