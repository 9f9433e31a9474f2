import { quantileSorted } from '../bench/core/stats';
import { failureKinds, type RequestRecord } from '../traffic/request-record';
import type { FaultResult, PhaseStats, TimelineBucket } from './chaos-report.types';
import type { FaultId } from './faults';

/** A stretch of the run the report has a row for. */
export interface PhaseWindow {
  readonly id: string;
  readonly label: string;
  readonly part: PhaseStats['part'];
  readonly fault?: FaultId;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The steady traffic: what the per-phase rows and the timeline count (the probes exceed limits on purpose). */
export function isSteadyTraffic(r: RequestRecord): boolean {
  return r.kind === 'read' || r.kind === 'write' || r.kind === 'me' || r.kind === 'anon-read';
}

/** A steady-traffic request that did not get the answer it would get from a healthy stack. */
export function failed(r: RequestRecord): boolean {
  return r.status < 200 || r.status >= 300;
}

const latency = (r: RequestRecord) => r.end - r.start;

function quantiles(records: readonly RequestRecord[]) {
  const answered = Float64Array.from(records.filter((r) => r.status !== 0).map(latency)).sort();
  if (answered.length === 0) return { p50Ms: null, p99Ms: null, maxMs: null };
  return {
    p50Ms: round(quantileSorted(answered, 0.5)),
    p99Ms: round(quantileSorted(answered, 0.99)),
    maxMs: round(answered[answered.length - 1] as number),
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function phaseStats(
  window: PhaseWindow,
  records: readonly RequestRecord[],
  hungAfterMs: number,
): PhaseStats {
  const rows = records.filter((r) => isSteadyTraffic(r) && r.start >= window.fromMs && r.start < window.toMs);
  const count = (predicate: (r: RequestRecord) => boolean) => rows.filter(predicate).length;
  const profileReads = rows.filter((r) => r.kind === 'read');
  const me = rows.filter((r) => r.kind === 'me');
  const writes = rows.filter((r) => r.kind === 'write');
  return {
    ...window,
    requests: rows.length,
    s2xx: count((r) => r.status >= 200 && r.status < 300),
    s4xx: count((r) => r.status >= 400 && r.status < 500),
    s5xx: count((r) => r.status >= 500),
    noAnswer: count((r) => r.status === 0),
    hung: count((r) => latency(r) > hungAfterMs),
    unauthenticated: count((r) => r.status === 401 && r.kind !== 'anon-read'),
    limited: count((r) => r.status === 429),
    s503: count((r) => r.status === 503),
    retryAfter503: count((r) => r.status === 503 && r.retryAfter === true),
    ...quantiles(rows),
    profileReads: profileReads.length,
    profileReads200: profileReads.filter((r) => r.status === 200).length,
    degraded200: profileReads.filter((r) => r.status === 200 && r.degraded === true).length,
    me: me.length,
    me200: me.filter((r) => r.status === 200).length,
    writes: writes.length,
    writes200: writes.filter((r) => r.status === 200).length,
    failures: failureKinds(rows.filter(failed)),
  };
}

/** Recovery is judged per slice of this length: a slice fails when more than FAILING_SHARE of it failed. */
const RECOVERY_SLICE_MS = 250;
const FAILING_SHARE = 0.1;

/**
 * How one fault showed: the failing requests from its injection to the end of its recovery window, and
 * how long after the process was back the traffic was healthy again: the end of the last 250 ms slice (by
 * request start) in which more than 10 % of requests failed. A stray failure, which the baseline has too
 * on a busy machine, does not count as "not recovered"; a failing slice in the window's last second does.
 */
export function faultResult(
  fault: {
    id: FaultId;
    title: string;
    action: string;
    injectedAt: number;
    endedAt: number;
    windowEndAt: number;
  },
  records: readonly RequestRecord[],
): FaultResult {
  const inWindow = records.filter(
    (r) => isSteadyTraffic(r) && r.start >= fault.injectedAt && r.start < fault.windowEndAt,
  );
  const failures = inWindow.filter(failed);
  const slices = new Map<number, { n: number; failed: number }>();
  for (const r of inWindow) {
    if (r.start < fault.endedAt) continue;
    const slice = Math.floor((r.start - fault.endedAt) / RECOVERY_SLICE_MS);
    const entry = slices.get(slice) ?? { n: 0, failed: 0 };
    entry.n++;
    if (failed(r)) entry.failed++;
    slices.set(slice, entry);
  }
  const failing = [...slices].filter(([, s]) => s.failed > FAILING_SHARE * s.n).map(([slice]) => slice);
  const lastFailing = failing.length ? failing.reduce((a, b) => Math.max(a, b)) : undefined;
  const recoveredAt =
    lastFailing === undefined ? fault.endedAt : fault.endedAt + (lastFailing + 1) * RECOVERY_SLICE_MS;
  return {
    ...fault,
    failed: failures.length,
    firstFailureAt: failures.length
      ? failures.reduce((first, r) => Math.min(first, r.start), Number.POSITIVE_INFINITY)
      : null,
    lastFailureAt: failures.length
      ? failures.reduce((last, r) => Math.max(last, r.start), Number.NEGATIVE_INFINITY)
      : null,
    recoveryMs: recoveredAt > fault.windowEndAt - 1000 ? null : round(recoveredAt - fault.endedAt),
  };
}

/** Steady-traffic counts and latency per `bucketMs`, by start time, for the timeline chart. */
export function timeline(records: readonly RequestRecord[], bucketMs = 250): TimelineBucket[] {
  const steady = records.filter(isSteadyTraffic);
  if (steady.length === 0) return [];
  const last = steady.reduce((latest, r) => Math.max(latest, r.start), Number.NEGATIVE_INFINITY);
  const buckets = Array.from({ length: Math.floor(last / bucketMs) + 1 }, () => [] as RequestRecord[]);
  for (const r of steady) buckets[Math.floor(r.start / bucketMs)]?.push(r);
  return buckets.map((rows, i) => {
    const { p50Ms, maxMs } = quantiles(rows);
    return {
      t: i * bucketMs,
      s2xx: rows.filter((r) => r.status >= 200 && r.status < 300).length,
      s4xx: rows.filter((r) => r.status >= 400 && r.status < 500).length,
      s5xx: rows.filter((r) => r.status >= 500).length,
      noAnswer: rows.filter((r) => r.status === 0).length,
      p50Ms,
      maxMs,
    };
  });
}
