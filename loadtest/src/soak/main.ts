// `npm run soak -- --minutes N`: the local stack under moderate steady load for N minutes, sampling each
// process's memory and both Redis roles' keys; writes loadtest/results/soak.{json,md}.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { parseSoakOptions } from './soak.options';
import { renderSoakMarkdown } from './soak-markdown';
import { runSoak } from './soak-run';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const processStart = Date.now();

function log(line: string): void {
  const elapsed = ((Date.now() - processStart) / 1000).toFixed(0).padStart(5);
  process.stdout.write(`[soak ${elapsed}s] ${line}\n`);
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseSoakOptions>;
  try {
    options = parseSoakOptions(process.argv.slice(2), REPO_ROOT);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => {
    log('interrupted: stopping the stack');
    abort.abort(new Error('interrupted'));
  });
  const report = await runSoak(options, log, abort.signal);
  const commit = gitCommit();
  const final = commit ? { ...report, gitCommit: commit } : report;
  const files = await writeFilesAtomically(options.outDir, [
    ['soak.json', `${JSON.stringify(final, null, 2)}\n`],
    ['soak.md', renderSoakMarkdown(final)],
  ]);
  log(
    `${final.summary.flags.length === 0 ? 'nothing grew without bound' : `FLAGGED: ${final.summary.flags.join('; ')}`}; wrote ${files.join(', ')}`,
  );
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
