import type {
  BenchResults,
  LagCaseResult,
  MemoryCaseResult,
  TargetResult,
  ThroughputCaseResult,
  VariantStatus,
} from '../core/bench.types';
import {
  ms,
  ops,
  pct,
  READING_NOTES,
  ratio,
  runLine,
  targetActual,
  targetThreshold,
  verdictLabel,
} from './format';
import { GOALS } from './goals';
import { CHART_CSS, escapeXml as esc, renderBarChart } from './svg-chart';

function status(s: VariantStatus, reason?: string): string {
  const text =
    s === 'measured'
      ? reason
        ? `measured (${reason})`
        : 'measured'
      : `${s === 'missing' ? 'not measured' : 'FAILED'}${reason ? `: ${reason}` : ''}`;
  return `<span class="${s}">${esc(text)}</span>`;
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * Where a variant's ratio bar must reach for each goal about it, in units of the case baseline: a goal
 * against another variant (gateway ≥ 1.25× http-proxy-middleware) scales by that variant's own ratio.
 */
function ratioTargets(c: ThroughputCaseResult, variant: string): number[] {
  const ticks: number[] = [];
  for (const goal of GOALS) {
    const source = goal.source;
    if (source.kind !== 'ratio' || source.caseId !== c.id || source.variant !== variant) continue;
    const against =
      source.against === c.baseline ? 1 : c.variants.find((v) => v.id === source.against)?.ratio?.value;
    if (against !== undefined) ticks.push(goal.threshold * against);
  }
  return ticks;
}

function throughputSection(c: ThroughputCaseResult): string {
  const rows = c.variants.map((v) => [
    v.role === 'redwire' ? `<b>${esc(v.label)}</b>` : esc(v.label),
    ops(v.median?.opsPerSec),
    esc(v.runs.map((r) => ops(r.opsPerSec)).join(' · ') || '–'),
    pct(v.spread),
    ms(v.median?.p99Ms),
    v.id === c.baseline ? '1.00× (baseline)' : ratio(v.ratio?.value),
    esc(v.ratio ? v.ratio.perRound.map((r) => r.toFixed(2)).join(' · ') : '–'),
    String(v.runs.reduce((n, r) => n + r.errors, 0)),
    status(v.status, v.reason),
  ]);
  const throughputChart = renderBarChart({
    title: `Throughput (${c.unit}; median, whisker = rounds' min–max)`,
    format: (x) => ops(x),
    bars: c.variants.map((v) => {
      const values = v.runs.map((r) => r.opsPerSec);
      return {
        label: v.label,
        value: v.median?.opsPerSec,
        highlight: v.role === 'redwire',
        ...(values.length ? { min: Math.min(...values), max: Math.max(...values) } : {}),
      };
    }),
  });
  const p99Chart = renderBarChart({
    title: 'p99 latency (ms, median of rounds; lower is better)',
    format: (x) => `${ms(x)} ms`,
    bars: c.variants.map((v) => ({
      label: v.label,
      value: v.median?.p99Ms,
      highlight: v.role === 'redwire',
    })),
  });
  const ratioChart = renderBarChart({
    title: `Ratio to ${c.variants.find((v) => v.id === c.baseline)?.label ?? c.baseline} (green tick = target)`,
    format: (x) => `${x.toFixed(2)}×`,
    references: [{ value: 1, label: '1.0×' }],
    bars: c.variants.map((v) => {
      const targets = ratioTargets(c, v.id);
      return {
        label: v.label,
        value: v.id === c.baseline ? (v.median ? 1 : undefined) : v.ratio?.value,
        highlight: v.role === 'redwire',
        ...(v.ratio ? { min: Math.min(...v.ratio.perRound), max: Math.max(...v.ratio.perRound) } : {}),
        ...(targets.length
          ? { targets, note: (v.ratio?.value ?? 0) >= Math.max(...targets) ? '' : 'short' }
          : {}),
      };
    }),
  });
  return `<section><h2>${esc(c.title)}</h2><p>${esc(c.unit)}, ${esc(c.driver)}.</p>${table(
    [
      'variant',
      `${c.unit} (median)`,
      'each round',
      'spread',
      'p99 ms',
      'ratio',
      'ratio per round',
      'errors',
      'status',
    ],
    rows,
  )}<div class="charts">${throughputChart}${p99Chart}${ratioChart}</div><ul>${[
    ...c.notes.map((n) => `<li>${esc(n)}</li>`),
    ...c.variants.map((v) => `<li><i>${esc(v.label)}</i>: ${esc(v.description)}</li>`),
  ].join('')}</ul></section>`;
}

function lagSection(c: LagCaseResult, targets: readonly TargetResult[]): string {
  const rows = c.variants.map((v) => [
    esc(v.label),
    String(v.overall?.samples ?? '–'),
    String(v.overall?.lost ?? '–'),
    ms(v.overall?.p50Ms),
    ms(v.overall?.p99Ms),
    ms(v.overall?.maxMs),
    esc(v.runs.map((r) => ms(r.p99Ms)).join(' · ') || '–'),
    status(v.status, v.reason),
  ]);
  const charts = c.variants.map((v) => {
    const target = targets.find((t) => t.id === `lag-${v.id}`);
    return renderBarChart({
      title: `${v.label}: commit → applied (ms)`,
      format: (x) => `${ms(x)} ms`,
      ...(target
        ? { references: [{ value: target.threshold, label: `target p99 ≤ ${target.threshold} ms` }] }
        : {}),
      bars: [
        { label: 'p50', value: v.overall?.p50Ms, highlight: true },
        { label: 'p99', value: v.overall?.p99Ms, highlight: true },
        { label: 'max', value: v.overall?.maxMs, highlight: true },
      ],
    });
  });
  return `<section><h2>${esc(c.title)}</h2><p>${esc(c.driver)}.</p>${table(
    ['path', 'writes observed', 'never observed', 'p50 ms', 'p99 ms', 'max ms', 'p99 per round', 'status'],
    rows,
  )}<div class="charts">${charts.join('')}</div><ul>${[
    ...c.notes.map((n) => `<li>${esc(n)}</li>`),
    ...c.variants.map((v) => `<li><i>${esc(v.label)}</i>: ${esc(v.description)}</li>`),
    ...c.variants.flatMap((v) =>
      v.runs
        .filter((r) => r.detail)
        .map((r) => `<li>${esc(`${v.label}, round ${r.round}: ${r.detail}`)}</li>`),
    ),
  ].join('')}</ul></section>`;
}

function memorySection(c: MemoryCaseResult): string {
  const goalFor = (id: string) =>
    GOALS.find((g) => g.source.kind === 'bytes' && g.source.entry === id)?.threshold;
  const rows = c.entries.map((e) => [
    e.role === 'redwire' ? `<b>${esc(e.label)}</b>` : esc(e.label),
    String(e.bytes ?? '–'),
    e.key ? `<code>${esc(e.key)}</code>` : '–',
    esc(e.detail ?? ''),
    status(e.status, e.reason),
  ]);
  const chart = renderBarChart({
    title: 'Bytes per key (MEMORY USAGE; green tick = target)',
    format: (x) => `${Math.round(x)} B`,
    bars: c.entries.map((e) => {
      const target = goalFor(e.id);
      return {
        label: e.label,
        value: e.bytes,
        highlight: e.role === 'redwire',
        ...(target ? { targets: [target] } : {}),
      };
    }),
  });
  return `<section><h2>${esc(c.title)}</h2>${table(['key', 'bytes', 'key pattern', 'detail', 'status'], rows)}<div class="charts">${chart}</div><ul>${c.notes
    .map((n) => `<li>${esc(n)}</li>`)
    .join('')}</ul></section>`;
}

/** The HTML report (`latest.html`): one self-contained page, tables plus inline SVG charts. */
export function renderHtml(results: BenchResults): string {
  const targets = table(
    ['target', 'actual', 'threshold', 'verdict', 'detail'],
    results.targets.map((t) => [
      esc(t.description),
      targetActual(t),
      esc(targetThreshold(t)),
      `<span class="${t.verdict}">${esc(verdictLabel(t))}</span>`,
      `${esc(t.detail)}${t.anchor ? `<br><small>anchor: ${esc(t.anchor)}</small>` : ''}`,
    ]),
  );
  const sections = results.cases.map((c) =>
    c.kind === 'throughput'
      ? throughputSection(c)
      : c.kind === 'lag'
        ? lagSection(c, results.targets)
        : memorySection(c),
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redwire benchmark ${esc(results.startedAt.slice(0, 10))}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1180px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4}
.charts{display:flex;flex-wrap:wrap;gap:1rem}
.met{color:#0a7d32;font-weight:600}.short,.failed{color:#c8102e;font-weight:600}.not-measured,.missing{color:#a36500;font-weight:600}
code{font-size:12px}
${CHART_CSS}
</style></head><body>
<h1>redwire benchmark</h1>
<p>${esc(runLine(results))}</p>
<ul>${READING_NOTES.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Targets (reported, not asserted)</h2>
${targets}
${sections.join('\n')}
</body></html>
`;
}
