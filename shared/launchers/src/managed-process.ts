import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import readline from 'node:readline';
import { pollUntil } from './poll-until';

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link spawnManaged}, on top of `child_process.spawn`'s (`env`, `cwd`, `uid`, `gid`). */
export interface ManagedSpawnOptions extends Omit<SpawnOptions, 'stdio'> {
  /** Every line the process writes, as it comes, with the stream it came on. @default only kept for `output()` */
  readonly onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** How many of the last lines `output()` keeps. @default 50 */
  readonly keepLines?: number;
}

/** A child process whose last output lines are kept for error messages. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (or could not be spawned: code and signal null). */
  readonly exited: Promise<ProcessExit>;
  /** The last lines the process wrote, for diagnostics. */
  output(): string;
}

/** Spawns `command` with its stdout and stderr read line by line. */
export function spawnManaged(
  command: string,
  args: readonly string[],
  options: ManagedSpawnOptions = {},
): ManagedProcess {
  const { onLine, keepLines = 50, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const [name, stream] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ] as const) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > keepLines) lines.shift();
      onLine?.(line, name);
    });
  }
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { child, exited, output: () => lines.join('\n') };
}

/** `exited with code 1`, `was killed by SIGKILL`. */
export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

/** Whether the process is still running (not exited, not killed). */
export function isRunning(proc: ManagedProcess | undefined): proc is ManagedProcess {
  return proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
}

/**
 * Sends a signal and waits for the exit; escalates to SIGKILL after `graceMs`. A SIGCONT follows the
 * signal, so a process a fault test froze (SIGSTOP) handles it at once instead of at the escalation.
 */
export async function stopProcess(proc: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) {
  if (!isRunning(proc)) return;
  proc.child.kill(signal);
  proc.child.kill('SIGCONT');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** The message {@link waitUntilUp} throws when the process exits first; {@link withPortRetry} retries on it. */
const DIED_EARLY = 'exited before it was ready';

/** Polls `probe` until it holds; rejects as soon as the process exits, or at the deadline, with its output. */
export async function waitUntilUp(
  what: string,
  probe: () => Promise<boolean>,
  proc: ManagedProcess,
  timeoutMs = 15000,
): Promise<void> {
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  await pollUntil(probe, {
    what: `${what} was not ready`,
    timeoutMs,
    abort: () => (exited ? `${what} ${DIED_EARLY}:\n${proc.output()}` : undefined),
    detail: () => proc.output(),
  });
}

/** Runs `start` up to `attempts` times when the server died at start-up (typically: its port was taken meanwhile). */
export async function withPortRetry<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const diedEarly = error instanceof Error && error.message.includes(DIED_EARLY);
      if (!diedEarly || attempt >= attempts) throw error;
    }
  }
}
