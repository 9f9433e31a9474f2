import { type ChildProcess, execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link startChildService}. */
export interface ChildServiceOptions {
  /** A name for messages. */
  readonly name: string;
  /** The compiled entry (`services/user/dist/main.js`, a bench target). */
  readonly entry: string;
  readonly args?: readonly string[];
  /** The child's whole environment (nothing is inherited but PATH and HOME). */
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 200, e.g. `http://127.0.0.1:8081/healthz`. */
  readonly readyUrl: string;
  /** @default 60000 (a busy 2-core machine starting several services at once is slow) */
  readonly readyTimeoutMs?: number;
}

/** An HTTP service running as a child Node process, so it gets its own event loop like in production. */
export interface ChildService {
  readonly name: string;
  /** Last lines of the child's stdout and stderr. */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s. Safe to call twice. */
  stop(): Promise<void>;
}

function collect(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

export async function startChildService(options: ChildServiceOptions): Promise<ChildService> {
  const guard = path.join(__dirname, 'parent-guard.js');
  const child = spawn(process.execPath, ['--require', guard, options.entry, ...(options.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collect(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  let dead = false;
  void exited.then(() => {
    dead = true;
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (dead) throw new Error(`${options.name} exited during start-up:\n${output()}`);
    if (await answers200(options.readyUrl)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${options.name} was not ready at ${options.readyUrl}:\n${output()}`);
    }
    await sleep(50);
  }
  return { name: options.name, output, stop };
}

/** Runs a compiled Node script to completion (e.g. a migration); rejects with its output on failure. */
export function runNodeScript(entry: string, env: Readonly<Record<string, string>>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [entry],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${entry} failed: ${error.message}\n${stdout}${stderr}`));
        else resolve(stdout);
      },
    );
  });
}
