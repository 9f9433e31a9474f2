import type {
  BenchResults,
  LagCaseResult,
  MemoryCaseResult,
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

function status(s: VariantStatus, reason?: string): string {
  if (s === 'measured') return reason ? `measured (${reason})` : 'measured';
  return `${s === 'missing' ? 'not measured' : 'FAILED'}${reason ? `: ${reason}` : ''}`;
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function throughputSection(c: ThroughputCaseResult): string[] {
  const lines = [
    `## ${c.title}`,
    '',
    `${c.unit}, ${c.driver}; baseline for ratios: **${c.variants.find((v) => v.id === c.baseline)?.label ?? c.baseline}**.`,
    '',
    `| variant | ${c.unit} (median) | each round | spread | p50 ms | p99 ms | ratio | ratio per round | errors | status |`,
    '|---|---:|---|---:|---:|---:|---:|---|---:|---|',
  ];
  for (const v of c.variants) {
    const errors = v.runs.reduce((n, r) => n + r.errors, 0);
    lines.push(
      `| ${v.role === 'redwire' ? `**${cell(v.label)}**` : cell(v.label)} | ${ops(v.median?.opsPerSec)} | ${v.runs.map((r) => ops(r.opsPerSec)).join(' · ') || '–'} | ${pct(v.spread)} | ${ms(v.median?.p50Ms)} | ${ms(v.median?.p99Ms)} | ${v.id === c.baseline ? '1.00× (baseline)' : ratio(v.ratio?.value)} | ${v.ratio ? v.ratio.perRound.map((r) => r.toFixed(2)).join(' · ') : '–'} | ${errors} | ${cell(status(v.status, v.reason))} |`,
    );
  }
  lines.push('');
  for (const note of c.notes) lines.push(`- ${note}`);
  for (const v of c.variants) lines.push(`- *${v.label}*: ${v.description}`);
  lines.push('');
  return lines;
}

function lagSection(c: LagCaseResult): string[] {
  const lines = [
    `## ${c.title}`,
    '',
    `${c.driver}.`,
    '',
    '| path | writes observed | never observed | p50 ms | p99 ms | max ms | p99 per round | status |',
    '|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const v of c.variants) {
    const o = v.overall;
    lines.push(
      `| ${cell(v.label)} | ${o?.samples ?? '–'} | ${o?.lost ?? '–'} | ${ms(o?.p50Ms)} | ${ms(o?.p99Ms)} | ${ms(o?.maxMs)} | ${v.runs.map((r) => ms(r.p99Ms)).join(' · ') || '–'} | ${cell(status(v.status, v.reason))} |`,
    );
  }
  lines.push('');
  for (const note of c.notes) lines.push(`- ${note}`);
  for (const v of c.variants) lines.push(`- *${v.label}*: ${v.description}`);
  for (const v of c.variants) {
    for (const r of v.runs) if (r.detail) lines.push(`- ${v.label}, round ${r.round}: ${r.detail}`);
  }
  lines.push('');
  return lines;
}

function memorySection(c: MemoryCaseResult): string[] {
  const lines = [
    `## ${c.title}`,
    '',
    '| key | bytes | key pattern | detail | status |',
    '|---|---:|---|---|---|',
  ];
  for (const e of c.entries) {
    lines.push(
      `| ${e.role === 'redwire' ? `**${cell(e.label)}**` : cell(e.label)} | ${e.bytes ?? '–'} | ${e.key ? `\`${cell(e.key)}\`` : '–'} | ${cell(e.detail ?? '')} | ${cell(status(e.status, e.reason))} |`,
    );
  }
  lines.push('');
  for (const note of c.notes) lines.push(`- ${note}`);
  lines.push('');
  return lines;
}

/** The Markdown report (`latest.md`): targets first, then one table per case. */
export function renderMarkdown(results: BenchResults): string {
  const lines = [
    '# redwire benchmark',
    '',
    runLine(results),
    '',
    ...READING_NOTES.map((n) => `- ${n}`),
    '',
    '## Targets (reported, not asserted)',
    '',
    '| target | actual | threshold | verdict | detail |',
    '|---|---:|---:|---|---|',
    ...results.targets.map(
      (t) =>
        `| ${cell(t.description)} | ${targetActual(t)} | ${targetThreshold(t)} | ${t.verdict === 'short' ? '**SHORT**' : verdictLabel(t)} | ${cell(t.detail)}${t.anchor ? ` (anchor: ${cell(t.anchor)})` : ''} |`,
    ),
    '',
  ];
  for (const c of results.cases) {
    if (c.kind === 'throughput') lines.push(...throughputSection(c));
    else if (c.kind === 'lag') lines.push(...lagSection(c));
    else lines.push(...memorySection(c));
  }
  return `${lines.join('\n')}\n`;
}
