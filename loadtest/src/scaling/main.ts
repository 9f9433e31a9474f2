// `npm run scaling`: Redis time per operation (from Redis's own counters) and Node CPU per request of the
// service processes, measured on this machine; writes loadtest/results/scaling.{json,md}.
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { runReportTool } from '../cli-support';
import { parseScalingOptions } from './scaling.options';
import { renderScalingMarkdown } from './scaling-markdown';
import { runScaling } from './scaling-run';

const REPO_ROOT = path.resolve(__dirname, '../../..');

runReportTool(
  {
    name: 'scaling',
    repoRoot: REPO_ROOT,
    parse: () => parseScalingOptions(process.argv.slice(2), REPO_ROOT),
    run: (options, log, signal) => runScaling(options.settings, log, signal),
    files: (report) => [
      ['scaling.json', `${JSON.stringify(report, null, 2)}\n`],
      ['scaling.md', renderScalingMarkdown(report)],
    ],
    // Unexpected outcomes (a limiter decision past its deadline on a busy machine) are in the report, per
    // row; they do not make the measurement fail.
    verdict: (report) => {
      const noisy = [...report.operations, ...report.requests].filter((r) => r.errors > 0);
      return {
        line: noisy.length
          ? `measured; unexpected outcomes in ${noisy.map((r) => `${r.id} (${r.errors}: ${r.firstError})`).join(', ')}`
          : 'measured; no unexpected outcome',
        exitCode: 0,
      };
    },
  },
  writeFilesAtomically,
);
