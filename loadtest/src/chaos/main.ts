// `npm run chaos`: starts the local stack, drives steady load through two gateways while injecting faults
// into its processes one after another, checks the invariants, and writes loadtest/results/chaos.{json,md,html}.
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { runReportTool } from '../cli-support';
import { parseChaosOptions } from './chaos.options';
import { runChaos } from './chaos-run';
import { renderChaosHtml } from './report/chaos-html';
import { renderChaosMarkdown } from './report/chaos-markdown';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** `--topology cluster` (or CHAOS_TOPOLOGY=cluster): the state-cluster failover faults instead (cluster/main.ts). */
function clusterTopology(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const at = argv.indexOf('--topology');
  return (at >= 0 ? argv[at + 1] : env.CHAOS_TOPOLOGY) === 'cluster';
}

if (clusterTopology(process.argv.slice(2), process.env)) require('./cluster/main');
else
  runReportTool(
    {
      name: 'chaos',
      repoRoot: REPO_ROOT,
      parse: () => parseChaosOptions(process.argv.slice(2), process.env, REPO_ROOT),
      run: runChaos,
      files: (report) => [
        ['chaos.json', `${JSON.stringify(report, null, 2)}\n`],
        ['chaos.md', renderChaosMarkdown(report)],
        ['chaos.html', renderChaosHtml(report)],
      ],
      verdict: (report) => ({
        line: `invariants ${report.invariants.held ? 'held' : 'VIOLATED'}`,
        exitCode: report.invariants.held ? 0 : 1,
      }),
    },
    writeFilesAtomically,
  );
