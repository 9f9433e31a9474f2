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
import { failoverNotes, failoverTable } from './failover-tables';

const cell = (text: string) => text.replaceAll('|', '\\|');

function markdownTable(table: Table): string {
  const align = table.head.map((_, i) => (table.numeric?.includes(i) ? '---:' : '---'));
  return [
    `| ${table.head.map(cell).join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** `chaos.md`: the same tables as the HTML report, without the chart; `chaos-cluster.md` adds its failover section. */
export function renderChaosMarkdown(r: ChaosReport): string {
  const failover = r.stateCluster
    ? ['## Failover', '', markdownTable(failoverTable(r)), '', ...failoverNotes(r).map((n) => `- ${n}`), '']
    : [];
  const out = [
    r.stateCluster
      ? '# Chaos run: state Redis Cluster failover'
      : (r.settings.instances ?? 1) > 1
        ? `# Chaos run: ${r.settings.instances} instances of every service`
        : '# Chaos run',
    '',
    runLine(r),
    '',
    `Invariants: **${r.invariants.held ? 'all held' : 'VIOLATED'}**. Hung threshold ${r.settings.hungAfterMs} ms (request budget ${r.settings.requestBudgetMs} ms + 250 ms). Degraded answers are counted by the header \`${r.settings.degradedHeader}\`.`,
    '',
    ...failover,
    '## Invariants',
    '',
    markdownTable(invariantsTable(r)),
    '',
    '## Per phase',
    '',
    markdownTable(phasesTable(r)),
    '',
    ...READING_NOTES.map((n) => `- ${n}`),
    '',
    '## Faults',
    '',
    markdownTable(faultsTable(r)),
    '',
    '## Rate-limit admissions',
    '',
    markdownTable(admissionsTable(r)),
    '',
    '## Supervisor',
    '',
    ...(r.supervisorEvents.length
      ? r.supervisorEvents.map((e) => `- ${(e.at / 1000).toFixed(2)} s: ${e.text}`)
      : ['- no restarts']),
    '',
  ];
  if (r.notRun.length) {
    out.push('## Not run', '', ...r.notRun.map((n) => `- \`${n.id}\`: ${n.reason}`), '');
  }
  return out.join('\n');
}
