// `npm run chaos -- --topology cluster` (or `node loadtest/dist/chaos/cluster/main.js`): the failover faults
// on a cluster shaped like the stack's state cluster; writes loadtest/results/chaos-cluster.{json,md}.
import path from 'node:path';
import { writeFilesAtomically } from '../../bench/report/write-reports';
import { runReportTool } from '../../cli-support';
import { type ClusterChaosReport, renderClusterChaosMarkdown, runClusterChaos } from './cluster-chaos';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

runReportTool<{ outDir: string }, ClusterChaosReport>(
  {
    name: 'chaos-cluster',
    repoRoot: REPO_ROOT,
    parse: () => {
      const out = process.argv.indexOf('--out');
      return {
        outDir:
          out > 0 ? path.resolve(process.argv[out + 1] ?? '') : path.join(REPO_ROOT, 'loadtest', 'results'),
      };
    },
    run: (_options, log) => runClusterChaos(log),
    files: (report) => [
      ['chaos-cluster.json', `${JSON.stringify(report, null, 2)}\n`],
      ['chaos-cluster.md', renderClusterChaosMarkdown(report)],
    ],
    verdict: (report) => ({
      line: `cluster failover ${report.held ? 'held' : 'VIOLATED'}`,
      exitCode: report.held ? 0 : 1,
    }),
  },
  writeFilesAtomically,
);
