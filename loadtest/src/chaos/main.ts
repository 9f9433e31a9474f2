// `npm run chaos`: starts the local stack, drives steady load through two gateways while injecting faults
// into its processes one after another, checks the invariants, and writes loadtest/results/chaos.{json,md,html}.
// With `--topology cluster` the state Redis is the 3 + 3 Redis Cluster and the faults are its failovers:
// loadtest/results/chaos-cluster.{json,md}, so the single-node report stays as it is; with `--instances N`,
// N of every service, the load over every gateway: loadtest/results/chaos-instances.{json,md}.
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { runReportTool } from '../cli-support';
import { parseChaosOptions } from './chaos.options';
import { runChaos } from './chaos-run';
import { renderChaosHtml } from './report/chaos-html';
import { renderChaosMarkdown } from './report/chaos-markdown';

const REPO_ROOT = path.resolve(__dirname, '../../..');

runReportTool(
  {
    name: 'chaos',
    repoRoot: REPO_ROOT,
    parse: () => parseChaosOptions(process.argv.slice(2), process.env, REPO_ROOT),
    run: runChaos,
    files: (report) =>
      report.settings.instances > 1
        ? [
            ['chaos-instances.json', `${JSON.stringify(report, null, 2)}\n`],
            ['chaos-instances.md', renderChaosMarkdown(report)],
          ]
        : report.settings.topology === 'cluster'
          ? [
              ['chaos-cluster.json', `${JSON.stringify(report, null, 2)}\n`],
              ['chaos-cluster.md', renderChaosMarkdown(report)],
            ]
          : [
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
