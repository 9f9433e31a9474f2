import { type ChildProcess, spawn } from 'node:child_process';
import readline from 'node:readline';
import type { ProcessExit } from '@redwire/testing';

/** One service of the stack, run as `node --require <preload> <entry>`. */
export interface ServiceSpec {
  /** Prefix for its log lines, e.g. `user`. */
  readonly name: string;
  /** Compiled entry point (absolute path). */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** `/readyz` URL polled before the stack reports ready; workers without HTTP have none. */
  readonly readyUrl?: string;
}

const COLORS = [36, 35, 33, 32, 34, 31];

/** A running service whose output is relayed line by line with a `[name]` prefix. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;

  constructor(
    readonly spec: ServiceSpec,
    preload: string | undefined,
    colorIndex: number,
    write: (line: string) => void,
  ) {
    const args = [...(preload ? ['--require', preload] : []), spec.entry];
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const useColor = process.stdout.isTTY === true;
    const color = COLORS[colorIndex % COLORS.length] ?? 36;
    const prefix = useColor ? `\x1b[${color}m[${spec.name}]\x1b[0m ` : `[${spec.name}] `;
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on('line', (line) => write(prefix + line));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      this.child.once('error', () => resolve({ code: null, signal: null }));
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (the services drain and exit), SIGKILL after the grace period; SIGCONT in case it was frozen. */
  async stop(graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    this.child.kill('SIGCONT');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
