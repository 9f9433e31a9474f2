import fs from 'node:fs';
import path from 'node:path';
import { waitForReady } from './http-ready';
import { describeExit, isRunning, type ProcessExit, spawnManaged, stopProcess } from './managed-process';
import { pollUntil } from './poll-until';

/** Options of {@link startNodeService}. */
export interface NodeServiceOptions {
  /** A name for messages (`user`, `target limiter`). */
  readonly name: string;
  /** The compiled entry point (absolute path), run by the current `node`. */
  readonly entry: string;
  readonly args?: readonly string[];
  /** The child's whole environment: nothing is inherited that is not here. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Modules preloaded with `--require` (the OpenTelemetry preload). @default none */
  readonly preload?: readonly string[];
  /**
   * Preload a guard that sends the child SIGTERM once its parent is gone (a harness killed without
   * stopping it), so no service outlives the tool that started it. @default false
   */
  readonly exitWithParent?: boolean;
  /**
   * Polled until it answers 200 (`http://127.0.0.1:8081/readyz`) before `startNodeService` resolves; the
   * start fails when the child exits first or the deadline passes. @default resolve once spawned
   */
  readonly readyUrl?: string;
  /**
   * Waited for before `startNodeService` resolves: a line of the child's output that matches (`npm start`'s
   * `redwire ready:` line). Also with `readyUrl`: then both. @default none
   */
  readonly readyLine?: RegExp;
  /** @default 60000 (a busy 2-core machine starting several services at once is slow) */
  readonly readyTimeoutMs?: number;
  /** Every line the child writes, with the stream it came on. @default only kept for `output()` */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How long `stop()` waits after SIGTERM before SIGKILL. @default 5000 */
  readonly graceMs?: number;
}

/** A Node service running as a child process, so it gets its own event loop as in production. */
export interface NodeService {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** The line that matched `readyLine`, once one has. */
  readonly readyLine: string | undefined;
  /** The child's last lines of output. */
  output(): string;
  /**
   * Sends `signal` (the services drain and exit on SIGTERM; `npm start` stops on SIGINT as on Ctrl-C) and
   * waits for the exit, with SIGKILL after the grace period. Safe to call twice.
   */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `dist/parent-guard.js`, also when this module runs from source (tests). */
function parentGuard(): string {
  const candidates = [
    path.join(__dirname, 'parent-guard.js'),
    path.join(__dirname, '..', 'dist', 'parent-guard.js'),
  ];
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found)
    throw new Error('@redwire/launchers is not built: run `npm run build` (parent-guard.js missing)');
  return found;
}

/**
 * Spawns `node [--require …] entry`; with `readyLine` waits for that line, with `readyUrl` until the
 * service answers 200 there. A child that exits first, or a deadline passed, rejects with its last lines.
 */
export async function startNodeService(options: NodeServiceOptions): Promise<NodeService> {
  const preload = [...(options.exitWithParent ? [parentGuard()] : []), ...(options.preload ?? [])];
  const { readyLine, readyUrl, onLine } = options;
  let matched: string | undefined;
  const proc = spawnManaged(
    process.execPath,
    [...preload.flatMap((file) => ['--require', file]), options.entry, ...(options.args ?? [])],
    {
      env: options.env,
      keepLines: 40,
      onLine: (line, stream) => {
        if (readyLine && matched === undefined && readyLine.test(line)) matched = line;
        onLine?.(line, stream);
      },
    },
  );
  const service: NodeService = {
    name: options.name,
    pid: proc.child.pid,
    get running() {
      return isRunning(proc);
    },
    get readyLine() {
      return matched;
    },
    exited: proc.exited,
    output: proc.output,
    stop: (signal = 'SIGTERM') => stopProcess(proc, signal, options.graceMs ?? 5000),
  };
  if (readyUrl === undefined && readyLine === undefined) return service;
  let exit: ProcessExit | undefined;
  void proc.exited.then((e) => {
    exit = e;
  });
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const abort = () =>
    exit ? `${options.name} ${describeExit(exit)} during start-up:\n${proc.output()}` : undefined;
  const started = Date.now();
  try {
    if (readyLine) await pollUntil(() => matched, { what: `a line matching ${readyLine}`, timeoutMs, abort });
    if (readyUrl) {
      await waitForReady([readyUrl], { timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)), abort });
    }
  } catch (error) {
    const diedEarly = exit !== undefined;
    await service.stop();
    if (diedEarly) throw error;
    const awaited = readyUrl ? `at ${readyUrl}` : `(no line matching ${readyLine})`;
    throw new Error(`${options.name} was not ready ${awaited}:\n${proc.output()}`, { cause: error });
  }
  return service;
}
