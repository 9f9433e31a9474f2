import { escapeXml as esc } from '../../bench/report/svg-chart';
import type { ChaosReport } from '../chaos-report.types';
import {
  admissionsTable,
  faultsTable,
  invariantsTable,
  phasesTable,
  READING_NOTES,
  runLine,
  type Table,
} from './chaos-tables';
import { renderTimeline, TIMELINE_CSS } from './timeline-chart';

/** Cell text with the Markdown emphasis the tables use turned into HTML. */
const inline = (text: string) => esc(text).replace(/\*\*(.+?)\*\*/g, '<b class="bad">$1</b>');

function htmlTable(table: Table): string {
  const cls = (i: number) => (table.numeric?.includes(i) ? ' class="n"' : '');
  return `<table><thead><tr>${table.head.map((h, i) => `<th${cls(i)}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${table.rows
    .map((row) => `<tr>${row.map((c, i) => `<td${cls(i)}>${inline(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** `chaos.html`: a self-contained page (inline SVG and CSS, no script). */
export function renderChaosHtml(r: ChaosReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>redwire chaos run</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top}
th{background:#f4f4f4;text-align:left}
td.n,th.n{text-align:right;white-space:nowrap}
.bad{color:#c8102e}
.held{color:#0a7d32}
${TIMELINE_CSS}
</style></head><body>
<h1>Chaos run</h1>
<p>${esc(runLine(r))}</p>
<p>Invariants: <b class="${r.invariants.held ? 'held' : 'bad'}">${r.invariants.held ? 'all held' : 'VIOLATED'}</b>. Hung threshold ${r.settings.hungAfterMs} ms (request budget ${r.settings.requestBudgetMs} ms + 250 ms); degraded answers counted by <code>${esc(r.settings.degradedHeader)}</code>.</p>
${renderTimeline(r)}
<h2>Invariants</h2>
${htmlTable(invariantsTable(r))}
<h2>Per phase</h2>
${htmlTable(phasesTable(r))}
<ul>${READING_NOTES.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>
<h2>Faults</h2>
${htmlTable(faultsTable(r))}
<h2>Rate-limit admissions</h2>
${htmlTable(admissionsTable(r))}
<h2>Supervisor</h2>
<ul>${r.supervisorEvents.map((e) => `<li>${(e.at / 1000).toFixed(2)} s: ${esc(e.text)}</li>`).join('') || '<li>no restarts</li>'}</ul>
${r.notRun.length ? `<h2>Not run</h2><ul>${r.notRun.map((n) => `<li><code>${esc(n.id)}</code>: ${esc(n.reason)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
