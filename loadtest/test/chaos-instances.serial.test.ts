import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport } from '../src/chaos/chaos-report.types';
import { runChaosCli } from './support/chaos-cli';

// `npm run chaos -- --instances 2 --l1 --short --only user-kill,gateway-kill`: the compiled harness starts
// the local stack with two instances of every service and their L1 on, spreads the signed-in load over both
// gateways, kills instance 1's user service and then instance 2's gateway, and checks the invariants: the
// consistency run of REDWIRE_INSTANCES=2 (0 stale reads by the L1's bound, no event, job, session or limit
// lost across instances).

let outDir: string;
let report: ChaosReport;
let output = '';
let exitCode: number | null = null;

describe('npm run chaos --instances 2 --l1 --short --only user-kill,gateway-kill', () => {
  beforeAll(async () => {
    ({ outDir, report, output, exitCode } = await runChaosCli(
      ['--instances', '2', '--l1', '--short', '--only', 'user-kill,gateway-kill'],
      {
        reportFile: 'chaos-instances.json',
        timeoutMs: 200_000,
      },
    ));
  }, 220_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('when the run ends, then it wrote the instances report, spread the load over both gateways and exited 0', () => {
    expect(fs.existsSync(path.join(outDir, 'chaos.json'))).toBe(false);
    expect(fs.readFileSync(path.join(outDir, 'chaos-instances.md'), 'utf8')).toContain(
      '# Chaos run: 2 instances of every service',
    );
    expect(report.settings).toMatchObject({ instances: 2, l1: true, gateways: 2, partitionGateway: false });
    expect(report.notRun.map((n) => n.id)).toContain('gateway-partition');
    // Not its 5xx: phases count requests by their start, and one started just before the first fault may
    // meet it (the killed user service) and answer 502 inside the baseline's row.
    expect(report.phases[0]?.s2xx).toBeGreaterThan(100);
    expect(report.invariants.held, output).toBe(true);
    expect(exitCode, output).toBe(0);
  });

  it('when one instance’s user service and then the other’s gateway were killed, then each came back and the load was served after it', () => {
    expect(report.faults.map((f) => f.id)).toEqual(['user-kill', 'gateway-kill']);
    for (const id of ['user-kill', 'gateway-kill']) {
      const after = report.phases.find((p) => p.fault === id && p.part === 'after');
      expect(after?.s2xx, id).toBeGreaterThan(0);
    }
    // Only the last window is checked for failures: a request started at the end of an earlier one may meet
    // the next fault (phases count requests by their start).
    const last = report.phases.at(-1);
    expect(last).toMatchObject({ fault: 'gateway-kill', part: 'after', s5xx: 0, noAnswer: 0 });
    const events = report.supervisorEvents.map((e) => e.text);
    expect(events.some((t) => t.startsWith('user started again'))).toBe(true);
    expect(events.some((t) => t.startsWith('gateway-2 started again'))).toBe(true);
  });

  it('when the invariants were checked across both instances, then no read was staler than the L1 bound and no event, job, session or limit was lost', () => {
    const i = report.invariants;
    expect(i.staleReads.checked).toBeGreaterThan(50);
    expect(i.staleReads).toMatchObject({ stale: 0, l1TtlMs: 1000 });
    expect(i.events.committed).toBeGreaterThan(10);
    expect(i.events).toMatchObject({ unpublished: 0, missingFromStream: 0, lost: 0 });
    expect(i.jobs).toMatchObject({ lostWrites: 0, duplicatedWrites: 0, outboxGaps: 0, outboxDuplicates: 0 });
    expect(i.sessions).toMatchObject({ lost: 0 });
    for (const p of i.admissions.probes) expect([p.excessRedis, p.excessLocal], p.policy).toEqual([0, 0]);
    expect(i.admissions.overAdmitted).toBe(0);
  });
});
