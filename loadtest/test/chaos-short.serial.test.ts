import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport } from '../src/chaos/chaos-report.types';
import { FAULT_IDS } from '../src/chaos/faults';
import { runChaosCli } from './support/chaos-cli';

// `npm run chaos -- --short` as CI runs it: the compiled harness starts its own local stack on free ports,
// injects every fault under load and checks the invariants. Timings are the machine's; only the invariants
// and the shape of the report are asserted.

let outDir: string;
let report: ChaosReport;
let output = '';
let exitCode: number | null = null;

describe('npm run chaos --short', () => {
  beforeAll(async () => {
    ({ outDir, report, output, exitCode } = await runChaosCli(['--short'], {
      reportFile: 'chaos.json',
      timeoutMs: 280_000,
    }));
  }, 300_000);

  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('when the run ends, then it wrote the three reports and exited 0 because every invariant held', () => {
    for (const name of ['chaos.json', 'chaos.md', 'chaos.html'])
      expect(fs.existsSync(path.join(outDir, name)), name).toBe(true);
    expect(fs.readFileSync(path.join(outDir, 'chaos.html'), 'utf8')).toContain('<svg');
    expect(report.invariants.held, output).toBe(true);
    expect(exitCode, output).toBe(0);
  });

  it('when every fault was injected under load, then each has a during and an after phase with traffic in it', () => {
    expect(report.settings.mode).toBe('short');
    expect(report.faults.map((f) => f.id)).toEqual([...FAULT_IDS]);
    for (const id of FAULT_IDS) {
      const phases = report.phases.filter((p) => p.fault === id);
      expect(
        phases.map((p) => p.part),
        id,
      ).toEqual(['during', 'after']);
      expect(phases[1]?.requests, `${id} after`).toBeGreaterThan(0);
    }
    expect(report.phases[0]?.s2xx).toBeGreaterThan(0);
  });

  it('when reads followed acknowledged writes, then none of them saw an older version', () => {
    expect(report.invariants.staleReads.checked).toBeGreaterThan(100);
    expect(report.invariants.staleReads.examples).toEqual([]);
    expect(report.invariants.staleReads.stale).toBe(0);
  });

  it('when the worker, Redis and PostgreSQL were killed, then every committed event reached both consumer groups', () => {
    const events = report.invariants.events;
    expect(events.committed).toBeGreaterThan(50);
    expect(events.trimmedPastRunStart).toBe(false);
    expect(events.groups.map((g) => g.group)).toEqual(['user-cache', 'auth']);
    expect(events).toMatchObject({ unpublished: 0, missingFromStream: 0, lost: 0 });
    for (const g of events.groups)
      expect(g, g.group).toMatchObject({ pending: 0, undelivered: 0, deadLettered: 0 });
  });

  it('when writes were acknowledged or left unanswered by the faults, then none was lost or applied twice, and every job completed', () => {
    const jobs = report.invariants.jobs;
    expect(jobs.acknowledgedWrites).toBeGreaterThan(50);
    expect(jobs).toMatchObject({ lostWrites: 0, duplicatedWrites: 0, outboxGaps: 0, outboxDuplicates: 0 });
    expect(jobs.invalidationJobs).toMatchObject({ failed: 0, stuck: 0 });
  });

  it('when the state Redis was killed and restarted from its AOF, then every session created before still validates', () => {
    expect(report.invariants.sessions.sessions).toBe(report.settings.users + 1);
    expect(report.invariants.sessions.lost).toBe(0);
    expect(report.invariants.sessions.rejectedDuringRun).toBe(0);
  });

  it('when the probes pushed past their limits through every fault, then nothing was admitted beyond each policy and its failure mode', () => {
    const probes = report.invariants.admissions.probes;
    expect(probes.map((p) => p.policy)).toEqual(['anon-ip', 'user-free', 'login-ip']);
    for (const p of probes) {
      expect(p.limited, `${p.policy} was pushed over its limit`).toBeGreaterThan(0);
      expect([p.excessRedis, p.excessLocal], p.policy).toEqual([0, 0]);
    }
    // A closed policy admits nothing it cannot check.
    expect(probes.find((p) => p.policy === 'login-ip')).toMatchObject({ admittedLocal: 0, admittedOpen: 0 });
    expect(report.invariants.admissions.overAdmitted).toBe(0);
  });

  it('when services were killed, then the supervisor restarted each one and never gave up', () => {
    const restarted = (name: string) =>
      report.supervisorEvents.some((e) => e.text.startsWith(`${name} started again`));
    for (const name of ['user-worker', 'user', 'auth', 'gateway-2', 'redis', 'redis-cache', 'postgres'])
      expect(restarted(name), name).toBe(true);
    expect(report.supervisorEvents.some((e) => e.text.includes('giving up'))).toBe(false);
  });
});
