// `npm run soak -- --minutes N`: the local stack under moderate steady load for N minutes, sampling each
// process's memory and both Redis roles' keys; writes loadtest/results/soak.{json,md}.
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { runReportTool } from '../cli-support';
import { parseSoakOptions } from './soak.options';
import { renderSoakMarkdown } from './soak-markdown';
import { resummarize, runSoak } from './soak-run';

const REPO_ROOT = path.resolve(__dirname, '../../..');

runReportTool(
  {
    name: 'soak',
    repoRoot: REPO_ROOT,
    parse: () => parseSoakOptions(process.argv.slice(2), REPO_ROOT),
    run: async (options, log, signal) =>
      options.from ? resummarize(options.from) : runSoak(options, log, signal),
    files: (report) => [
      ['soak.json', `${JSON.stringify(report, null, 2)}\n`],
      ['soak.md', renderSoakMarkdown(report)],
    ],
    verdict: (report) => ({
      line:
        report.summary.flags.length === 0
          ? 'nothing grew without bound'
          : `FLAGGED: ${report.summary.flags.join('; ')}`,
      exitCode: 0,
    }),
  },
  writeFilesAtomically,
);
