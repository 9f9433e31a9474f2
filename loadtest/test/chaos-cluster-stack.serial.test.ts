import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport } from '../src/chaos/chaos-report.types';
import { runChaosCli } from './support/chaos-cli';

// `npm run chaos -- --topology cluster --short --only cluster-failover`: the compiled harness starts the
// local stack with its state role on a 3 + 3 Redis Cluster, drives the signed-in load through its gateways,
// forces a CLUSTER FAILOVER and checks the invariants through a Cluster client. The coordinated failover
// must lose nothing; only its bound (a multiple of the node timeout) is asserted of the timings.

let outDir: string;
let report: ChaosReport;
let output = '';
let exitCode: number | null = null;

describe('npm run chaos --topology cluster --short --only cluster-failover', () => {
  beforeAll(async () => {
    ({ outDir, report, output, exitCode } = await runChaosCli(
      ['--topology', 'cluster', '--short', '--only', 'cluster-failover'],
      {
        reportFile: 'chaos-cluster.json',
        timeoutMs: 200_000,
      },
    ));
  }, 220_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('when the run ends, then it wrote the cluster report with its failover section and exited 0', () => {
    expect(fs.existsSync(path.join(outDir, 'chaos.json'))).toBe(false);
    expect(fs.readFileSync(path.join(outDir, 'chaos-cluster.md'), 'utf8')).toContain('## Failover');
    expect(report.settings).toMatchObject({ topology: 'cluster', mode: 'short', partitionGateway: false });
    expect(report.stateCluster).toMatchObject({ masters: 3, replicasPerMaster: 1 });
    expect(report.stateCluster?.waitCost.waitTimeouts).toBe(0);
    expect(report.notRun.map((n) => n.id)).toEqual(['cluster-master-kill', 'gateway-partition']);
    expect(report.invariants.held, output).toBe(true);
    expect(exitCode, output).toBe(0);
  });

  it('when CLUSTER FAILOVER ran under the load, then every slot answered again within the bound and the load went on after it', () => {
    expect(report.faults.map((f) => f.id)).toEqual(['cluster-failover']);
    const [fault] = report.faults;
    expect(fault?.everySlotBoundMs).toBe(6 * (report.stateCluster?.nodeTimeoutMs ?? 0));
    expect(fault?.everySlotAnsweringMs).toBeLessThan(fault?.everySlotBoundMs ?? 0);
    const phases = report.phases.filter((p) => p.fault === 'cluster-failover');
    expect(phases.map((p) => p.part)).toEqual(['during', 'after']);
    expect(phases[1]?.s2xx).toBeGreaterThan(0);
    expect(report.phases[0]?.s2xx).toBeGreaterThan(0);
  });

  it('when the failover was coordinated, then no write the cluster acknowledged was lost', () => {
    const loss = report.faults[0]?.writeLoss;
    expect(loss?.sessionsWritten).toBeGreaterThan(10);
    expect(loss).toMatchObject({ sessionsLost: 0, streamEntriesLost: 0, limiterIncrementsLost: 0 });
  });

  it('when the invariants were read through a Cluster client, then no read was stale, no event, job, session or limit lost', () => {
    const i = report.invariants;
    expect(i.staleReads.checked).toBeGreaterThan(20);
    expect(i.staleReads.stale).toBe(0);
    expect(i.events.committed).toBeGreaterThan(10);
    expect(i.events.groups.map((g) => g.group)).toEqual(['user-cache', 'auth']);
    expect(i.events).toMatchObject({
      unpublished: 0,
      missingFromStream: 0,
      lost: 0,
      trimmedPastRunStart: false,
    });
    expect(i.jobs).toMatchObject({ lostWrites: 0, duplicatedWrites: 0, outboxGaps: 0, outboxDuplicates: 0 });
    expect(i.jobs.invalidationJobs).toMatchObject({ failed: 0, stuck: 0 });
    expect(i.sessions).toMatchObject({ lost: 0, rejectedDuringRun: 0 });
    for (const p of i.admissions.probes) {
      // login-ip allows 10 a minute: this short a run sends fewer logins than that.
      if (p.policy !== 'login-ip')
        expect(p.limited, `${p.policy} was pushed over its limit`).toBeGreaterThan(0);
      expect([p.excessRedis, p.excessLocal], p.policy).toEqual([0, 0]);
    }
    expect(i.admissions.overAdmitted).toBe(0);
  });
});
