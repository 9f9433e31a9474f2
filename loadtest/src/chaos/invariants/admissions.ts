import type { RequestRecord } from '../../traffic/request-record';
import type { AdmissionCheck, ProbeAdmissions } from '../chaos-report.types';

/**
 * The limits the probes push against, as the gateway's default policies declare them
 * (`DEFAULT_POLICIES` of @redwire/gateway; a test keeps the two in step).
 */
export const PROBED_POLICIES = {
  'probe-anon': {
    policy: 'anon-ip',
    algorithm: 'gcra',
    limit: 20,
    periodMs: 1000,
    burst: 40,
    failureMode: 'local',
  },
  'probe-user': {
    policy: 'user-free',
    algorithm: 'gcra',
    limit: 10,
    periodMs: 1000,
    burst: 20,
    failureMode: 'local',
  },
  'probe-login': {
    policy: 'login-ip',
    algorithm: 'sliding-window',
    limit: 10,
    periodMs: 60_000,
    burst: 10,
    failureMode: 'closed',
  },
} as const;

type Probe = keyof typeof PROBED_POLICIES;

/** A request the limiter let through: it reached the service (any answer but 429, 503 or none). */
function admitted(r: RequestRecord): boolean {
  if (r.status === 0 || r.status === 429 || r.status === 503) return false;
  // A failed login the limiter admitted is auth's generic 401.
  return r.kind !== 'probe-login' || r.code === 'E_INVALID_CREDENTIALS';
}

/**
 * GCRA admits at most `burst + T × rate` in any span T of its own clock. The limiter decided each request
 * somewhere between its start and its end at the client, so two admissions were decided at most
 * `later.end − earlier.start` apart: bounding with that span can never blame latency (an over-admission
 * hidden inside the latency goes unseen instead). Returns the largest excess over the bound (0 when within).
 */
export function gcraExcess(admissions: readonly RequestRecord[], ratePerMs: number, burst: number): number {
  const sorted = [...admissions].sort((a, b) => a.start - b.start);
  let worst = 0;
  for (let i = 0; i < sorted.length; i++) {
    const first = sorted[i] as RequestRecord;
    let lastEnd = first.end;
    for (let j = i + 1; j < sorted.length; j++) {
      // Admissions i..j were all decided between first.start and the latest of their ends.
      lastEnd = Math.max(lastEnd, (sorted[j] as RequestRecord).end);
      if (j - i + 1 <= burst) continue;
      const excess = j - i + 1 - (burst + Math.floor((lastEnd - first.start) * ratePerMs + 1e-9));
      if (excess > worst) worst = excess;
    }
  }
  return worst;
}

/**
 * A sliding-window counter never admits more than its limit within one window of its own clock. An
 * admission counts towards window k only if it started and ended inside it (the server decided inside),
 * so a window can only be undercounted, never blamed for a neighbour's admissions.
 */
export function slidingWindowExcess(
  admissions: readonly RequestRecord[],
  epochOf: (runMs: number) => number,
  periodMs: number,
  limit: number,
): number {
  const perWindow = new Map<number, number>();
  for (const r of admissions) {
    const k = Math.floor(epochOf(r.start) / periodMs);
    if (k !== Math.floor(epochOf(r.end) / periodMs)) continue;
    perWindow.set(k, (perWindow.get(k) ?? 0) + 1);
  }
  return Math.max(0, ...[...perWindow.values()].map((n) => n - limit));
}

/** Splits admissions where the deciding process restarted (a gateway's in-process limiter, or the state Redis). */
function byIncarnation(admissions: readonly RequestRecord[], restarts: readonly number[]): RequestRecord[][] {
  const cuts = [...restarts].sort((a, b) => a - b);
  const groups: RequestRecord[][] = cuts.map(() => []);
  groups.push([]);
  for (const r of admissions) {
    const index = cuts.filter((t) => t <= r.start).length;
    groups[index]?.push(r);
  }
  return groups;
}

/**
 * What each probe got admitted, by who decided: Redis, the local fallback (per gateway, each allowing
 * 1/instances of the policy), or nobody (an open policy). Over-admission is anything beyond the bound of
 * the deciding side; an open policy has no bound while Redis is out, so its admissions are counted, not
 * judged, and a closed one must admit nothing without Redis.
 */
export function checkAdmissions(
  records: readonly RequestRecord[],
  options: {
    readonly gateways: number;
    /** Per gateway index: run times at which it was restarted. */
    readonly gatewayRestarts: readonly (readonly number[])[];
    /**
     * Run times at which the state Redis started again after a kill. It replays its append-only file,
     * written with `appendfsync everysec`: a slow fsync lets Redis postpone the write by up to 2 s while
     * its replies go out, so a crash can lose the last limiter writes and the bound starts over. Undefined
     * on a Redis Cluster: a failover keeps the limiter state on the promoted replica, so one bound spans the
     * run and whatever the replica had not received shows as excess.
     */
    readonly stateRedisRestarts?: readonly number[];
    readonly epochOf: (runMs: number) => number;
  },
): AdmissionCheck {
  const probes: ProbeAdmissions[] = [];
  const redisScope = options.stateRedisRestarts
    ? 'Redis (each incarnation)'
    : 'Redis (one state across failovers)';
  for (const probe of Object.keys(PROBED_POLICIES) as Probe[]) {
    const spec = PROBED_POLICIES[probe];
    const sent = records.filter((r) => r.kind === probe);
    if (sent.length === 0) continue;
    const passed = sent.filter(admitted);
    const redis = passed.filter((r) => r.limiterMode === undefined);
    const local = passed.filter((r) => r.limiterMode === 'degraded-local');
    const open = passed.filter((r) => r.limiterMode === 'degraded-open');
    let excessRedis: number;
    let excessLocal = 0;
    let bound: string;
    if (spec.algorithm === 'gcra') {
      excessRedis = 0;
      for (const group of byIncarnation(redis, options.stateRedisRestarts ?? [])) {
        excessRedis += gcraExcess(group, spec.limit / spec.periodMs, spec.burst);
      }
      const n = options.gateways;
      const localBurst = Math.max(1, Math.ceil(spec.burst / n));
      for (let g = 0; g < n; g++) {
        for (const group of byIncarnation(
          local.filter((r) => r.gateway === g),
          options.gatewayRestarts[g] ?? [],
        )) {
          excessLocal += gcraExcess(group, spec.limit / n / spec.periodMs, localBurst);
        }
      }
      const perGateway = Number((spec.limit / n).toFixed(2));
      bound =
        `${redisScope}: ≤ ${spec.burst} + ${spec.limit}/${spec.periodMs / 1000} s × span; ` +
        `local (each of ${n} gateways): ≤ ${localBurst} + ${perGateway}/${spec.periodMs / 1000} s × span`;
    } else {
      excessRedis = 0;
      for (const group of byIncarnation(redis, options.stateRedisRestarts ?? [])) {
        excessRedis += slidingWindowExcess(group, options.epochOf, spec.periodMs, spec.limit);
      }
      // A closed policy admits nothing it could not check.
      excessLocal = local.length + open.length;
      bound = `${redisScope}: ≤ ${spec.limit} per ${spec.periodMs / 1000} s window; without Redis: none (closed)`;
    }
    probes.push({
      probe,
      policy: spec.policy,
      failureMode: spec.failureMode,
      bound,
      sent: sent.length,
      admittedRedis: redis.length,
      admittedLocal: local.length,
      admittedOpen: open.length,
      limited: sent.filter((r) => r.status === 429).length,
      unavailable: sent.filter((r) => r.status === 503).length,
      noAnswer: sent.filter((r) => r.status === 0).length,
      excessRedis,
      excessLocal,
    });
  }
  return {
    probes,
    decidedWithoutRedis: records.filter((r) => r.limiterMode !== undefined).length,
    overAdmitted: probes.reduce((sum, p) => sum + p.excessRedis + p.excessLocal, 0),
  };
}
