import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/** How a process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A child server process whose last output lines are kept for error messages. */
export interface ManagedProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** The last lines the process wrote, for diagnostics. */
  output(): string;
}

export function spawnManaged(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 50) lines.splice(0, lines.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  return { child, exited, output: () => lines.join('\n') };
}

/** Whether the process is still running (not exited, not killed). */
export function isRunning(proc: ManagedProcess | undefined): proc is ManagedProcess {
  return proc !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;
}

/**
 * Sends a signal and waits for the exit; escalates to SIGKILL after `graceMs`. A SIGCONT follows the
 * signal, so a server a fault test froze (SIGSTOP) handles it at once instead of at the escalation.
 */
export async function stopProcess(proc: ManagedProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) {
  if (!isRunning(proc)) return;
  proc.child.kill(signal);
  proc.child.kill('SIGCONT');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  await proc.exited;
  clearTimeout(timer);
}

/** Polls `probe` until it resolves true, the process exits, or the deadline passes. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  proc: ManagedProcess,
  timeoutMs = 15000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited before it was ready:\n${proc.output()}`);
    if (await probe().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${proc.output()}`);
}

/** Runs `start` up to `attempts` times when the server died at start-up (typically: its port was taken meanwhile). */
export async function withPortRetry<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      const diedEarly = error instanceof Error && error.message.includes('exited before it was ready');
      if (!diedEarly || attempt >= attempts) throw error;
    }
  }
}
