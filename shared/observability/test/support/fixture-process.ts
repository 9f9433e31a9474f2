import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

const packageDir = path.resolve(__dirname, '../..');
const repoRoot = path.resolve(packageDir, '../..');

/** Path of the compiled preload the fixtures are started with. */
export const PRELOAD = path.join(packageDir, 'dist/preload.js');

/**
 * Compiles the package so the fixture (plain node, no vitest aliases) runs the current sources. In CI
 * `npm run build` already did it and this is an up-to-date check of about a second.
 */
export function buildPackage(): void {
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b', packageDir], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
}

export interface LogLine {
  msg?: string;
  level?: string;
  [key: string]: unknown;
}

export interface FixtureProcess {
  readonly lines: LogLine[];
  stderr(): string;
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** SIGTERM, then the exit code (SIGKILL and a rejection after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

/**
 * Runs `test/fixtures/<name>` under `node --require dist/preload.js` with a clean environment: no
 * inherited `OTEL_*` or `NODE_OPTIONS`, so the developer's shell cannot change what the test sees.
 */
export function spawnFixture(name: string, env: Record<string, string>): FixtureProcess {
  const baseEnv = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS'),
  );
  const child = spawn(
    process.execPath,
    ['--require', PRELOAD, path.join(packageDir, 'test/fixtures', name)],
    {
      cwd: repoRoot,
      env: { ...baseEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: LogLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) {
      try {
        lines.push(JSON.parse(part) as LogLine);
      } catch {
        lines.push({ msg: `<non-JSON stdout> ${part}` });
      }
    }
    for (const w of waiters) w();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    lines,
    stderr: () => stderr,
    waitForLine(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (!found) return;
          done();
          resolve(found);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`fixture: no matching log line in ${timeoutMs} ms; stderr: ${stderr}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(timeoutMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
