// `npm run chaos`: starts the local stack, drives steady load through two gateways while injecting faults
// into its processes one after another, checks the invariants, and writes loadtest/results/chaos.{json,md,html}.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { writeFilesAtomically } from '../bench/report/write-reports';
import { parseChaosOptions } from './chaos.options';
import { runChaos } from './chaos-run';
import { renderChaosHtml } from './report/chaos-html';
import { renderChaosMarkdown } from './report/chaos-markdown';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const processStart = Date.now();

function log(line: string): void {
  const elapsed = ((Date.now() - processStart) / 1000).toFixed(1).padStart(5);
  process.stdout.write(`[chaos ${elapsed}s] ${line}\n`);
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
  let options: ReturnType<typeof parseChaosOptions>;
  try {
    options = parseChaosOptions(process.argv.slice(2), process.env, REPO_ROOT);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  // Ctrl-C aborts the run; runChaos stops everything it started before it rethrows.
  const abort = new AbortController();
  process.once('SIGINT', () => {
    log('interrupted: stopping the stack');
    abort.abort(new Error('interrupted'));
  });
  const report = await runChaos(options, log, abort.signal);
  const commit = gitCommit();
  const final = commit ? { ...report, gitCommit: commit } : report;
  const files = await writeFilesAtomically(options.outDir, [
    ['chaos.json', `${JSON.stringify(final, null, 2)}\n`],
    ['chaos.md', renderChaosMarkdown(final)],
    ['chaos.html', renderChaosHtml(final)],
  ]);
  log(`invariants ${final.invariants.held ? 'held' : 'VIOLATED'}; wrote ${files.join(', ')}`);
  return final.invariants.held ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
