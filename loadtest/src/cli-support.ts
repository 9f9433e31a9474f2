import { execFileSync } from 'node:child_process';

// What the command-line entries (bench, chaos, soak) share: option parsing, a timestamped log, the commit.

/** Parses a positive number option, or throws with the usage. */
export function positiveOption(
  name: string,
  text: string | undefined,
  usage: string,
  integer = false,
): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"\n${usage}`);
  }
  return value;
}

/** A logger writing `[<tool> <seconds since start>s] line` to stdout. */
export function stampedLog(tool: string): (line: string) => void {
  const start = Date.now();
  return (line) => {
    const elapsed = ((Date.now() - start) / 1000).toFixed(1).padStart(5);
    process.stdout.write(`[${tool} ${elapsed}s] ${line}\n`);
  };
}

/** The checked-out commit, for a report; undefined outside a git work tree. */
export function gitCommit(repoRoot: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: 'pipe',
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * Walks `--name [value]` arguments: `handle` gets each name and a reader for its value, and returns false
 * for a name it does not know. Throws with the usage on a missing value, an unknown option, or `--help`.
 */
export function readOptions(
  argv: readonly string[],
  usage: string,
  handle: (name: string, value: () => string) => boolean,
): void {
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i] as string;
    if (name === '--help' || name === '-h') throw new Error(usage);
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${name} needs a value\n${usage}`);
      return v;
    };
    if (!handle(name, value)) throw new Error(`unknown option ${name}\n${usage}`);
  }
}

/** A command-line tool that runs once and writes its report files (chaos, soak). */
export interface ReportTool<O extends { outDir: string }, R extends object> {
  readonly name: string;
  readonly repoRoot: string;
  /** Parses the arguments; throws the usage. */
  parse(): O;
  /** Runs; stops everything it started before it returns or throws, also when `signal` aborts. */
  run(options: O, log: (line: string) => void, signal: AbortSignal): Promise<R>;
  /** The report files, `[name, content]`. */
  files(report: R & { gitCommit?: string }): readonly (readonly [string, string])[];
  /** The final line and the exit code. */
  verdict(report: R): { readonly line: string; readonly exitCode: number };
}

/** Runs a report tool as a process: exit 2 on bad options, 1 when it fails, else its verdict's code. */
export function runReportTool<O extends { outDir: string }, R extends object>(
  tool: ReportTool<O, R>,
  write: (outDir: string, files: readonly (readonly [string, string])[]) => Promise<string[]>,
): void {
  const log = stampedLog(tool.name);
  const main = async (): Promise<number> => {
    let options: O;
    try {
      options = tool.parse();
    } catch (error) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
    // The code that runs is the checked-out commit now, whatever is committed during the run.
    const commit = gitCommit(tool.repoRoot);
    const abort = new AbortController();
    process.once('SIGINT', () => {
      log('interrupted: stopping the stack');
      abort.abort(new Error('interrupted'));
    });
    const report: R = await tool.run(options, log, abort.signal);
    // A report that names its own commit (one re-judged from an earlier run's samples) keeps it.
    const final: R & { gitCommit?: string } = commit ? { gitCommit: commit, ...report } : report;
    const written = await write(options.outDir, tool.files(final));
    const { line, exitCode } = tool.verdict(final);
    log(`${line}; wrote ${written.join(', ')}`);
    return exitCode;
  };
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${tool.name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
