import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResults, ThroughputCaseResult } from '../src/bench/core/bench.types';

// Runs the compiled suite (CI builds before testing) in smoke mode: every case ~1 s × 2 rounds against its
// own Redis and PostgreSQL. Proves the suite works end to end; the numbers themselves are not judged.

const repoRoot = path.resolve(__dirname, '../..');
const entry = path.join(repoRoot, 'loadtest/dist/bench/main.js');
const EXPECTED_CASES = [
  'limiter-allow',
  'limiter-deny',
  'cache-hit',
  'user-read',
  'session',
  'gateway',
  'invalidation-lag',
  'memory',
];

let outDir: string;
let results: BenchResults;
let output = '';

function runSmoke(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [entry, '--smoke', '--out', outDir],
      { cwd: repoRoot, timeout: 230_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        output = `${stdout}${stderr}`;
        if (error) reject(new Error(`bench --smoke failed: ${error.message}\n${output}`));
        else resolve();
      },
    );
  });
}

describe('npm run bench --smoke', () => {
  beforeAll(async () => {
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-bench-smoke-'));
    await runSmoke();
    results = JSON.parse(fs.readFileSync(path.join(outDir, 'latest.json'), 'utf8')) as BenchResults;
  }, 240_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('when the smoke run ends, then the JSON holds every case in smoke mode with 2 rounds', () => {
    expect(results.schema).toBe(1);
    expect(results.settings).toMatchObject({ mode: 'smoke', rounds: 2 });
    expect(results.cases.map((c) => c.id)).toEqual(EXPECTED_CASES);
    expect(results.machine.redis).not.toBe('unknown');
  });

  it('when a throughput case ran, then every baseline was measured in every round of the same run', () => {
    for (const c of results.cases.filter((x): x is ThroughputCaseResult => x.kind === 'throughput')) {
      const baselines = c.variants.filter((v) => v.role === 'baseline');
      expect(baselines.length, c.id).toBeGreaterThan(0);
      expect(
        c.variants.map((v) => v.id),
        c.id,
      ).toContain(c.baseline);
      for (const v of baselines) {
        expect(v.status, `${c.id}/${v.id}: ${v.reason}`).toBe('measured');
        expect(
          v.runs.map((r) => r.round),
          `${c.id}/${v.id}`,
        ).toEqual([1, 2]);
        expect(v.median?.opsPerSec, `${c.id}/${v.id}`).toBeGreaterThan(0);
        expect(Number.isFinite(v.spread), `${c.id}/${v.id}`).toBe(true);
      }
    }
  });

  it('when a variant was measured, then it has a ratio to its case baseline with per-round values and a spread', () => {
    for (const c of results.cases.filter((x): x is ThroughputCaseResult => x.kind === 'throughput')) {
      for (const v of c.variants) {
        expect(v.status, `${c.id}/${v.id}: ${v.reason}`).not.toBe('failed');
        if (v.status !== 'measured' || v.id === c.baseline) continue;
        expect(v.ratio?.against, `${c.id}/${v.id}`).toBe(c.baseline);
        expect(v.ratio?.perRound, `${c.id}/${v.id}`).toHaveLength(2);
        expect(Number.isFinite(v.ratio?.spread), `${c.id}/${v.id}`).toBe(true);
        expect(Number.isFinite(v.spread), `${c.id}/${v.id}`).toBe(true);
      }
      // Unmeasured redwire parts are named as such, with the reason, never faked.
      for (const v of c.variants.filter((x) => x.status === 'missing')) expect(v.reason).toBeTruthy();
    }
  });

  it('when the lag and memory cases ran, then each path has p50/p99/max and each key its bytes', () => {
    const lag = results.cases.find((c) => c.id === 'invalidation-lag');
    expect(lag?.kind).toBe('lag');
    if (lag?.kind === 'lag') {
      for (const v of lag.variants) {
        expect(v.status, `${v.id}: ${v.reason}`).not.toBe('failed');
        if (v.status === 'measured') expect(v.overall?.p99Ms).toBeGreaterThan(0);
      }
    }
    const memory = results.cases.find((c) => c.id === 'memory');
    expect(memory?.kind).toBe('memory');
    if (memory?.kind === 'memory') {
      for (const e of memory.entries) {
        expect(e.status, `${e.id}: ${e.reason}`).not.toBe('failed');
        if (e.status === 'measured') expect(e.bytes).toBeGreaterThan(0);
      }
    }
  });

  it('when the run ends, then every target has a verdict and the Markdown and HTML reports exist', () => {
    expect(results.targets.length).toBeGreaterThanOrEqual(11);
    for (const t of results.targets) expect(['met', 'short', 'not-measured']).toContain(t.verdict);
    const md = fs.readFileSync(path.join(outDir, 'latest.md'), 'utf8');
    const html = fs.readFileSync(path.join(outDir, 'latest.html'), 'utf8');
    expect(md).toContain('## Targets');
    expect(md).toContain('rate-limiter-flexible');
    expect(html).toContain('<svg');
    expect(html.match(/<svg/g)?.length ?? 0).toBeGreaterThanOrEqual(10);
  });
});
