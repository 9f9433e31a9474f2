// `npm run bench`: starts its own Redis (a single node and a 3-master cluster) and PostgreSQL, measures
// redwire's parts side by side with named baselines (interleaved rounds), and writes
// loadtest/results/latest.{json,md,html}.
import os from 'node:os';
import { gitCommit, stampedLog } from '../cli-support';
import { parseBenchOptions } from './bench.options';
import { ALL_CASES } from './cases';
import type { BenchResults, MachineInfo } from './core/bench.types';
import { runCases } from './core/runner';
import { evaluateGoals } from './report/goals';
import { writeReports } from './report/write-reports';
import { BenchStack, REPO_ROOT } from './stack/bench-stack';

const log = stampedLog('bench');

async function machineInfo(stack: BenchStack): Promise<MachineInfo> {
  const cpus = os.cpus();
  const versions = await stack.versions();
  return {
    hostname: os.hostname(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.versions.node,
    redis: versions.redis,
    postgres: versions.postgres,
    loadAverage: os.loadavg()[0] ?? 0,
  };
}

async function main(): Promise<number> {
  let options: ReturnType<typeof parseBenchOptions>;
  try {
    options = parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  const { settings } = options;
  const cases = ALL_CASES.filter((c) => options.only.length === 0 || options.only.includes(c.id));
  if (cases.length === 0) {
    process.stderr.write(
      `no case matches --only ${options.only.join(',')}; ids: ${ALL_CASES.map((c) => c.id).join(', ')}\n`,
    );
    return 2;
  }
  const startedAt = new Date();
  log(
    `${settings.mode} run: ${cases.length} cases, ${settings.rounds} rounds × ${settings.durationMs / 1000} s; starting Redis and PostgreSQL`,
  );
  const stack = await BenchStack.start();
  // Whatever ends the run, the servers and child processes it started go with it.
  const abort = (why: string, code: number) => {
    log(`${why}: stopping the stack`);
    void stack.close().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  process.once('uncaughtException', (error) =>
    abort(`uncaught exception: ${error.stack ?? error.message}`, 1),
  );
  process.once('unhandledRejection', (reason) => abort(`unhandled rejection: ${String(reason)}`, 1));
  try {
    const machine = await machineInfo(stack);
    const caseResults = await runCases(cases, { settings, stack, log });
    const finishedAt = new Date();
    const commit = gitCommit(REPO_ROOT);
    const results: BenchResults = {
      schema: 1,
      suite: 'redwire-bench',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      wallSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      ...(commit ? { gitCommit: commit } : {}),
      machine,
      settings,
      cases: caseResults,
      targets: evaluateGoals(caseResults),
    };
    const files = await writeReports(results, options.outDir);
    log('targets:');
    for (const t of results.targets) {
      log(
        `  ${t.verdict === 'met' ? 'met         ' : t.verdict === 'short' ? 'SHORT       ' : 'not measured'}  ${t.description}: ${t.detail}`,
      );
    }
    log(`wrote ${files.join(', ')}`);
    return 0;
  } finally {
    await stack.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
