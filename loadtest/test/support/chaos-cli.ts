import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChaosReport } from '../../src/chaos/chaos-report.types';

const repoRoot = path.resolve(__dirname, '../../..');
const entry = path.join(repoRoot, 'loadtest/dist/chaos/main.js');

/** What one `npm run chaos` run left: its results folder, the report it wrote, its output and exit code. */
export interface ChaosCliRun {
  readonly outDir: string;
  readonly report: ChaosReport;
  readonly output: string;
  readonly exitCode: number | null;
}

/**
 * Runs the compiled harness as `npm run chaos -- <args>` does, into a fresh temporary folder, with no
 * REDWIRE_* or CHAOS_* setting of the caller's environment (it picks free ports itself), and reads
 * `reportFile` from it; throws with the run's output when the report is missing.
 */
export async function runChaosCli(
  args: readonly string[],
  options: { readonly reportFile: string; readonly timeoutMs: number },
): Promise<ChaosCliRun> {
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-chaos-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env))
    if (name.startsWith('REDWIRE_') || name.startsWith('CHAOS_')) delete env[name];
  const { output, exitCode } = await new Promise<{ output: string; exitCode: number | null }>((resolve) => {
    const child = execFile(
      process.execPath,
      [entry, ...args, '--out', outDir],
      { cwd: repoRoot, env, timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({
          output: `${stdout}${stderr}`,
          exitCode: error ? (typeof error.code === 'number' ? error.code : null) : 0,
        }),
    );
    child.stdin?.end();
  });
  const file = path.join(outDir, options.reportFile);
  if (!fs.existsSync(file)) throw new Error(`no ${options.reportFile}; the run printed:\n${output}`);
  return { outDir, report: JSON.parse(fs.readFileSync(file, 'utf8')) as ChaosReport, output, exitCode };
}
