import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScalingReport } from '../src/scaling/scaling.types';

// Runs the compiled measurement (CI builds before testing) in smoke mode against its own Redis and
// PostgreSQL: every operation a fraction of a second. The numbers are not judged for speed, only for being
// measured at all and for the shape Redis reports (commands per operation).

const repoRoot = path.resolve(__dirname, '../..');
const entry = path.join(repoRoot, 'loadtest/dist/scaling/main.js');

let outDir: string;
let report: ScalingReport;

describe('npm run scaling --smoke', () => {
  beforeAll(async () => {
    if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-scaling-smoke-'));
    await new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [entry, '--smoke', '--out', outDir],
        { cwd: repoRoot, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) reject(new Error(`scaling --smoke failed: ${error.message}\n${stdout}${stderr}`));
          else resolve();
        },
      );
    });
    report = JSON.parse(fs.readFileSync(path.join(outDir, 'scaling.json'), 'utf8')) as ScalingReport;
  }, 180_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  const op = (id: string) => {
    const found = report.operations.find((o) => o.id === id);
    if (!found) throw new Error(`no operation ${id}`);
    return found;
  };

  it('when the run ends, then every operation and process was measured with a non-zero Redis and CPU cost', () => {
    expect(report.operations.map((o) => o.id)).toEqual([
      'limiter',
      'limiter-unbatched',
      'session',
      'session-unbatched',
      'cache-hit',
      'cache-hit-unbatched',
      'cache-miss',
      'write',
    ]);
    expect(report.requests.map((r) => r.id)).toEqual(['gateway', 'user-hit-l2', 'user-hit-l1']);
    for (const o of report.operations) {
      expect(o.redis.ops, o.id).toBeGreaterThan(0);
      expect(o.redis.cpuUsec, o.id).toBeGreaterThan(0);
      expect(o.redis.cpuUsec, o.id).toBeLessThan(10_000);
      expect(o.callerCpuUsec, o.id).toBeGreaterThan(0);
    }
    for (const r of report.requests) {
      expect(r.achievedRps, r.id).toBeGreaterThan(0);
      expect(r.cpuUsecPerRequest, r.id).toBeGreaterThan(0);
    }
    expect(op('cache-miss').postgresCpuUsec).toBeGreaterThan(0);
    expect(op('write').postgresCpuUsec).toBeGreaterThan(0);
  });

  it('when Redis counted the commands, then they have the shape of each operation', () => {
    // About once per operation: a decision past its deadline on a busy machine still reaches Redis but is
    // not counted as done, and a write of the warm-up may be relayed inside the window.
    const aboutOnce = (calls: number | undefined, what: string) => {
      expect(calls, what).toBeGreaterThan(0.8);
      expect(calls, what).toBeLessThan(1.3);
    };
    // One EVALSHA per decision and per check without coalescing; fewer with it (batches of one turn).
    aboutOnce(op('limiter-unbatched').redis.byCommand.evalsha?.calls, 'limiter EVALSHA');
    aboutOnce(op('session-unbatched').redis.byCommand.evalsha?.calls, 'session EVALSHA');
    expect(op('limiter').redis.byCommand.evalsha?.calls).toBeLessThan(0.9);
    // A hit is one GET, or a share of one MGET; never a script.
    aboutOnce(op('cache-hit-unbatched').redis.byCommand.get?.calls, 'cache GET');
    expect(op('cache-hit').redis.byCommand.mget?.calls).toBeLessThan(1);
    expect(op('cache-hit').redis.byCommand.evalsha).toBeUndefined();
    // A write reaches the stream once and is acknowledged once by the consumer.
    aboutOnce(op('write').redis.byCommand.xadd?.calls, 'XADD');
    aboutOnce(op('write').redis.byCommand.xack?.calls, 'XACK');
    // The gateway pays scripts (session, limiter) on every signed-in request.
    const gateway = report.requests.find((r) => r.id === 'gateway');
    expect(gateway?.redis.scriptUsec).toBeGreaterThan(0);
  });

  it('when the report is written, then the Markdown has both tables and links the scaling guide', () => {
    const md = fs.readFileSync(path.join(outDir, 'scaling.md'), 'utf8');
    expect(md).toContain('## Redis time per operation');
    expect(md).toContain('## Node CPU per request of the service processes');
    expect(md).toContain('](../../docs/scaling.md)');
  });
});
