import { DEFAULT_POLICIES } from '@redwire/gateway';
import { describe, expect, it } from 'vitest';
import {
  checkAdmissions,
  gcraExcess,
  PROBED_POLICIES,
  slidingWindowExcess,
} from '../src/chaos/invariants/admissions';
import { checkStaleReads } from '../src/chaos/invariants/stale-reads';
import { faultResult, phaseStats } from '../src/chaos/phase-stats';
import type { RequestRecord } from '../src/traffic/request-record';

// The chaos harness's judgements, on hand-made request histories: each check must catch what it claims to.

const rec = (
  r: Partial<RequestRecord> & Pick<RequestRecord, 'kind' | 'start' | 'end' | 'status'>,
): RequestRecord => ({
  actor: 0,
  gateway: 0,
  ...r,
});

describe('checkStaleReads', () => {
  it('when a read starts after a write was acknowledged and shows an older version, then it is stale', () => {
    const check = checkStaleReads([
      rec({ kind: 'write', target: 1, start: 0, end: 10, status: 200, version: 5 }),
      rec({ kind: 'read', target: 1, start: 11, end: 12, status: 200, version: 4 }),
    ]);
    expect(check).toMatchObject({ checked: 1, stale: 1 });
    expect(check.examples[0]).toMatchObject({ target: 1, version: 4, acknowledged: 5, acknowledgedAt: 10 });
  });

  it('when a read overlaps the write (started before its acknowledgement), then an older version is allowed', () => {
    const check = checkStaleReads([
      rec({ kind: 'write', target: 1, start: 0, end: 10, status: 200, version: 5 }),
      rec({ kind: 'read', target: 1, start: 9, end: 12, status: 200, version: 4 }),
    ]);
    expect(check).toMatchObject({ checked: 0, stale: 0 });
  });

  it('when acknowledgements arrive out of order, then the highest acknowledged so far is required', () => {
    const check = checkStaleReads([
      rec({ kind: 'write', target: 2, start: 0, end: 20, status: 200, version: 7 }),
      rec({ kind: 'write', target: 2, start: 1, end: 25, status: 200, version: 6 }),
      rec({ kind: 'anon-read', target: 2, start: 30, end: 31, status: 200, version: 6 }),
      rec({ kind: 'read', target: 2, start: 30, end: 31, status: 200, version: 8 }),
      rec({ kind: 'read', target: 3, start: 30, end: 31, status: 200, version: 1 }),
    ]);
    expect(check).toMatchObject({ checked: 2, stale: 1 });
  });

  it('when a write failed or a read was not a 200, then neither counts', () => {
    const check = checkStaleReads([
      rec({ kind: 'write', target: 1, start: 0, end: 10, status: 503 }),
      rec({ kind: 'read', target: 1, start: 11, end: 12, status: 200, version: 1 }),
      rec({ kind: 'write', target: 2, start: 0, end: 10, status: 200, version: 3 }),
      rec({ kind: 'read', target: 2, start: 11, end: 12, status: 503 }),
    ]);
    expect(check).toMatchObject({ checked: 0, stale: 0 });
  });

  it('when the L1 is on, then an older version inside its TTL is allowed and counted apart, and one older than the TTL is stale', () => {
    const history = [
      rec({ kind: 'write', target: 1, start: 0, end: 10, status: 200, version: 5 }),
      rec({ kind: 'write', target: 1, start: 500, end: 510, status: 200, version: 6 }),
      // 40 ms after version 6 was acknowledged: inside a 1 s L1 bound, but version 5 is required.
      rec({ kind: 'read', target: 1, start: 550, end: 551, status: 200, version: 5 }),
      // 1,100 ms after version 5, 600 ms after 6: 5 is what the bound requires, 4 is stale.
      rec({ kind: 'read', target: 1, start: 1110, end: 1111, status: 200, version: 5 }),
      rec({ kind: 'read', target: 1, start: 1110, end: 1111, status: 200, version: 4 }),
    ];
    expect(checkStaleReads(history, 1000)).toMatchObject({
      checked: 3,
      stale: 1,
      l1TtlMs: 1000,
      insideL1Bound: 2,
    });
    expect(checkStaleReads(history)).toMatchObject({ checked: 3, stale: 3 });
    expect(checkStaleReads(history).insideL1Bound).toBeUndefined();
  });
});

describe('gcraExcess', () => {
  const admissions = (times: readonly number[], latency = 1) =>
    times.map((t) => rec({ kind: 'probe-anon', start: t, end: t + latency, status: 200 }));

  it('when admissions stay within burst + rate × span, then there is no excess', () => {
    // burst 4, 1 per 100 ms: 4 at once, then one every 100 ms.
    expect(gcraExcess(admissions([0, 0, 0, 0, 100, 200, 300, 400]), 1 / 100, 4)).toBe(0);
  });

  it('when one more is admitted than the bound allows, then the excess is 1', () => {
    expect(gcraExcess(admissions([0, 0, 0, 0, 0]), 1 / 100, 4)).toBe(1);
    expect(gcraExcess(admissions([0, 0, 0, 0, 50, 60]), 1 / 100, 4)).toBe(2);
    expect(gcraExcess(admissions([0, 0, 0, 0, 110]), 1 / 100, 4)).toBe(0);
  });

  it('when latency could explain the spacing, then it is not blamed', () => {
    // Five admissions sent at once but each answered 100 ms later: the limiter may have decided over 101 ms.
    expect(gcraExcess(admissions([0, 0, 0, 0, 0], 101), 1 / 100, 4)).toBe(0);
  });
});

describe('slidingWindowExcess', () => {
  const at = (epochMs: number[]) =>
    epochMs.map((t) => rec({ kind: 'probe-login', start: t, end: t + 5, status: 401 }));

  it('when a window admits more than its limit, then the excess is counted; across a boundary it is not', () => {
    const epochOf = (ms: number) => ms;
    expect(slidingWindowExcess(at([0, 10, 20]), epochOf, 1000, 2)).toBe(1);
    expect(slidingWindowExcess(at([900, 990, 1000, 1010]), epochOf, 1000, 2)).toBe(0);
    // One straddling the boundary (start 998, end 1003) counts in neither window.
    expect(slidingWindowExcess(at([0, 10, 998]), epochOf, 1000, 2)).toBe(0);
  });
});

describe('checkAdmissions', () => {
  it('when the local fallback admits more than its share per gateway, then that is over-admission; open admissions are only counted', () => {
    const local = (gateway: number, t: number) =>
      rec({ kind: 'probe-anon', gateway, start: t, end: t + 1, status: 200, limiterMode: 'degraded-local' });
    // anon-ip over 2 gateways: each may admit 20 at once locally.
    const within = Array.from({ length: 20 }, (_, i) => local(0, i));
    const over = Array.from({ length: 21 }, (_, i) => local(1, i));
    const open = rec({ kind: 'probe-anon', start: 5, end: 6, status: 200, limiterMode: 'degraded-open' });
    const check = checkAdmissions([...within, ...over, open], {
      gateways: 2,
      gatewayRestarts: [[], []],
      epochOf: (ms) => ms,
    });
    const probe = check.probes.find((p) => p.probe === 'probe-anon');
    expect(probe).toMatchObject({ admittedLocal: 41, admittedOpen: 1, excessLocal: 1, excessRedis: 0 });
    expect(check.overAdmitted).toBe(1);
  });

  it('when a gateway restarted, then its local limiter starts afresh and is judged per incarnation', () => {
    const local = (t: number) =>
      rec({
        kind: 'probe-anon',
        gateway: 0,
        start: t,
        end: t + 1,
        status: 200,
        limiterMode: 'degraded-local',
      });
    const records = [
      ...Array.from({ length: 20 }, (_, i) => local(i)),
      ...Array.from({ length: 20 }, (_, i) => local(100 + i)),
    ];
    expect(
      checkAdmissions(records, { gateways: 2, gatewayRestarts: [[50], []], epochOf: (ms) => ms })
        .overAdmitted,
    ).toBe(0);
    expect(
      checkAdmissions(records, { gateways: 2, gatewayRestarts: [[], []], epochOf: (ms) => ms }).overAdmitted,
    ).toBeGreaterThan(0);
  });

  it('when the state Redis restarted from its append-only file, then its admissions are judged per incarnation', () => {
    // anon-ip: burst 40, 20/s. Two bursts of 40 decided by Redis 100 ms apart exceed one bound, not two.
    const byRedis = (t: number) => rec({ kind: 'probe-anon', start: t, end: t + 1, status: 200 });
    const records = [
      ...Array.from({ length: 40 }, (_, i) => byRedis(i)),
      ...Array.from({ length: 40 }, (_, i) => byRedis(100 + i)),
    ];
    const judged = (stateRedisRestarts: number[]) =>
      checkAdmissions(records, {
        gateways: 1,
        gatewayRestarts: [[]],
        stateRedisRestarts,
        epochOf: (ms) => ms,
      });
    expect(judged([50]).overAdmitted).toBe(0);
    expect(judged([]).overAdmitted).toBeGreaterThan(0);
  });

  it('when a closed policy answers without Redis, then any admission is over-admission; 429 and 503 are not admissions', () => {
    const check = checkAdmissions(
      [
        rec({
          kind: 'probe-login',
          start: 0,
          end: 1,
          status: 401,
          code: 'E_INVALID_CREDENTIALS',
          limiterMode: 'degraded-open',
        }),
        rec({ kind: 'probe-login', start: 2, end: 3, status: 503, code: 'E_UNAVAILABLE' }),
        rec({ kind: 'probe-login', start: 4, end: 5, status: 429, code: 'E_RATE_LIMITED' }),
      ],
      { gateways: 1, gatewayRestarts: [[]], epochOf: (ms) => ms },
    );
    expect(check.probes[0]).toMatchObject({
      policy: 'login-ip',
      admittedOpen: 1,
      unavailable: 1,
      limited: 1,
      excessLocal: 1,
    });
  });
});

describe('phase statistics', () => {
  const steady = (start: number, status: number, extra: Partial<RequestRecord> = {}) =>
    rec({ kind: 'read', start, end: start + 10, status, ...extra });

  it('when requests fail in a fault window, then the row counts them by kind', () => {
    const records = [
      steady(0, 200),
      steady(100, 503, { code: 'E_UNAVAILABLE', detail: 'The session could not be checked; retry shortly.' }),
      steady(200, 0, { error: 'ECONNREFUSED' }),
      steady(300, 200, { degraded: true }),
      steady(1500, 503, { code: 'E_UNAVAILABLE' }),
      rec({ kind: 'probe-anon', start: 100, end: 110, status: 429 }),
    ];
    const row = phaseStats({ id: 'x', label: 'x', part: 'during', fromMs: 0, toMs: 2000 }, records, 2250);
    expect(row).toMatchObject({
      requests: 5,
      s2xx: 2,
      s5xx: 2,
      noAnswer: 1,
      profileReads: 5,
      profileReads200: 2,
      degraded200: 1,
      limited: 0,
    });
    expect(row.failures).toEqual({
      '503 E_UNAVAILABLE (The session could not be…)': 1,
      ECONNREFUSED: 1,
      '503 E_UNAVAILABLE': 1,
    });
  });

  it('when failures go on after the fault ended, then recovery runs to the end of the last failing slice; a stray failure does not count', () => {
    const fault = {
      id: 'redis-kill' as const,
      title: 't',
      action: 'a',
      injectedAt: 0,
      endedAt: 1000,
      windowEndAt: 5000,
    };
    // Ten requests per 250 ms slice from 1000 to 4000; all fail until 1600, then one stray failure at 3010.
    const records = Array.from({ length: 120 }, (_, i) => {
      const start = 1000 + i * 25;
      return steady(start, start < 1600 || start === 3000 ? 503 : 200);
    });
    const result = faultResult(fault, [steady(500, 503), ...records]);
    expect(result).toMatchObject({ failed: 26, firstFailureAt: 500, lastFailureAt: 3000, recoveryMs: 750 });
    expect(
      faultResult(
        fault,
        records.filter((r) => r.status === 200),
      ),
    ).toMatchObject({ failed: 0, recoveryMs: 0 });
    // Still failing in the window's last second: not recovered.
    expect(faultResult({ ...fault, windowEndAt: 1800 }, records).recoveryMs).toBeNull();
  });
});

describe('what the harness probes, against the gateway’s own policies', () => {
  it('when the gateway defines its built-in policies, then the harness probes them as defined', () => {
    for (const spec of Object.values(PROBED_POLICIES)) {
      const policy = DEFAULT_POLICIES.find((p) => p.name === spec.policy);
      expect(policy, spec.policy).toBeDefined();
      expect({
        algorithm: policy?.algorithm ?? 'gcra',
        limit: policy?.limit,
        periodMs: (policy?.period ?? 0) * 1000,
        burst: policy?.burst ?? policy?.limit,
        failureMode: policy?.onRedisError ?? 'local',
      }).toEqual({
        algorithm: spec.algorithm,
        limit: spec.limit,
        periodMs: spec.periodMs,
        burst: spec.burst,
        failureMode: spec.failureMode,
      });
    }
  });
});
