import type { ChaosReport, PhaseStats } from '../chaos-report.types';

/** A table as rows of cell texts, rendered by both the Markdown and the HTML report. */
export interface Table {
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns to right-align. */
  readonly numeric?: readonly number[];
}

const int = (n: number) => n.toLocaleString('en-US');
const ms = (v: number | null) =>
  v === null ? '–' : v >= 100 ? `${Math.round(v).toLocaleString('en-US')} ms` : `${v.toFixed(1)} ms`;
const share = (part: number, whole: number) => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`);
const verdict = (ok: boolean) => (ok ? 'held' : '**VIOLATED**');

/** One line: when, where, how. */
export function runLine(r: ChaosReport): string {
  const m = r.machine;
  const s = r.settings;
  return (
    `${r.startedAt.slice(0, 16).replace('T', ' ')} UTC · ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.platform} · ` +
    `Node ${m.node}, Redis ${m.redis}${s.topology === 'cluster' ? ' (the state role a Redis Cluster)' : ''}, PostgreSQL ${m.postgres} · load average ${m.loadAverageStart.toFixed(2)} at the start, ` +
    `${m.loadAverageEnd.toFixed(2)} at the end · ${s.mode} run: ${s.users} signed-in users (one request each every ${s.userIntervalMs} ms) ` +
    `+ ${s.anonymous} anonymous readers + 3 limit probes over ${s.gateways} gateways${s.partitionGateway ? ' (a third takes half the users for the partition)' : ''}${(s.instances ?? 1) > 1 ? `, each in front of its own instance of every service (REDWIRE_INSTANCES=${s.instances}: gateway i → user i, auth i; one user worker each)` : ''}${s.l1 ? ', the user services’ L1 on' : ''}; ${s.topology === 'cluster' ? '' : `freezes ${s.freezeMs / 1000} s, restarts after ${s.downMs / 1000} s down, `}` +
    `${s.recoveryMs / 1000} s observed after each fault · ` +
    `${Math.round(r.wallSeconds)} s wall${r.gitCommit ? ` · commit ${r.gitCommit.slice(0, 10)}` : ''}`
  );
}

export function invariantsTable(r: ChaosReport): Table {
  const i = r.invariants;
  const ev = i.events;
  const groups = ev.groups
    .map(
      (g) =>
        `${g.group}: ${g.pending} pending, ${g.undelivered} undelivered, ${g.deadLettered} dead-lettered`,
    )
    .join('; ');
  const probes = i.admissions.probes
    .map(
      (p) =>
        `${p.policy} (${p.failureMode}): ${p.admittedRedis} admitted by Redis, ${p.admittedLocal} by the local fallback, ${p.admittedOpen} unchecked (open); excess ${p.excessRedis} / ${p.excessLocal}`,
    )
    .join('; ');
  return {
    head: ['invariant', 'result', 'measured'],
    rows: [
      [
        '0 stale reads',
        verdict(i.staleReads.stale === 0),
        `${int(i.staleReads.stale)} stale of ${int(i.staleReads.checked)} reads that started after an acknowledged write of the same profile` +
          (i.staleReads.l1TtlMs === undefined
            ? ''
            : ` (L1 on: stale = older than the newest write acknowledged ${i.staleReads.l1TtlMs} ms before the read began; ${int(i.staleReads.insideL1Bound ?? 0)} reads were older than the newest acknowledged write but inside that bound)`),
      ],
      [
        '0 lost invalidations',
        verdict(ev.lost === 0 && !ev.trimmedPastRunStart),
        `${int(ev.committed)} outbox events committed: ${ev.unpublished} unpublished, ${ev.missingFromStream} missing from the stream; ${groups}; ` +
          `${ev.republished} published twice (at-least-once relay, allowed); settled in ${ev.settleSeconds} s`,
      ],
      [
        '0 lost or duplicated job effects',
        verdict(i.jobs.lost === 0 && i.jobs.duplicated === 0),
        `${int(i.jobs.acknowledgedWrites)} acknowledged writes (+ ${i.jobs.uncertainWrites} unanswered): ${i.jobs.lostWrites} lost, ` +
          `${i.jobs.duplicatedWrites} applied twice; outbox ${i.jobs.outboxGaps} missing / ${i.jobs.outboxDuplicates} doubled events; ` +
          `invalidation jobs: ${i.jobs.invalidationJobs.completed} completed, ${i.jobs.invalidationJobs.failed} failed, ${i.jobs.invalidationJobs.stuck} stuck`,
      ],
      [
        r.settings.topology === 'cluster'
          ? '0 sessions lost'
          : '0 sessions lost (state Redis persisted with AOF)',
        verdict(i.sessions.lost === 0),
        `${i.sessions.lost} of ${i.sessions.sessions} sessions created before the faults rejected afterwards; ${i.sessions.rejectedDuringRun} 401s during the run`,
      ],
      [
        '0 admissions over a limit',
        verdict(i.admissions.overAdmitted === 0),
        `${probes}; ${i.admissions.decidedWithoutRedis} requests decided without Redis, each without the open \`ip\` policy (100/s per address, which no client here approached)`,
      ],
    ],
  };
}

function phaseRow(p: PhaseStats, index: number | undefined): string[] {
  const label =
    p.part === 'baseline'
      ? 'baseline'
      : p.part === 'during'
        ? `${index}. ${p.label}`
        : `${index}. ${p.label.replace(/^after: /, 'after: ')}`;
  return [
    label,
    `${((p.toMs - p.fromMs) / 1000).toFixed(1)} s`,
    int(p.requests),
    int(p.s2xx),
    int(p.s4xx),
    int(p.s5xx),
    int(p.noAnswer),
    int(p.hung),
    ms(p.p50Ms),
    ms(p.p99Ms),
    ms(p.maxMs),
    share(p.profileReads200, p.profileReads),
    p.profileReads200 === 0 ? '–' : share(p.degraded200, p.profileReads200),
    share(p.me200, p.me),
    share(p.writes200, p.writes),
    Object.entries(p.failures)
      .map(([kind, n]) => `${n} × ${kind}`)
      .join(', ') || '–',
  ];
}

export function phasesTable(r: ChaosReport): Table {
  const order = new Map(r.faults.map((f, i) => [f.id, i + 1]));
  return {
    head: [
      'phase',
      'length',
      'requests',
      '2xx',
      '4xx',
      '5xx',
      'no answer',
      `hung (> ${r.settings.hungAfterMs} ms)`,
      'p50',
      'p99',
      'max',
      'signed-in profile GETs 200',
      'of those degraded',
      '/auth/me 200',
      'writes 200',
      'failures',
    ],
    rows: r.phases.map((p) => phaseRow(p, p.fault ? order.get(p.fault) : undefined)),
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
  };
}

export function faultsTable(r: ChaosReport): Table {
  return {
    head: [
      'fault',
      'what was done',
      'failed requests',
      'failing from → to (run time)',
      'recovered after the fault ended',
    ],
    rows: r.faults.map((f, i) => [
      `${i + 1}. ${f.title}`,
      f.action,
      int(f.failed),
      f.firstFailureAt === null
        ? '–'
        : `${(f.firstFailureAt / 1000).toFixed(2)} s → ${((f.lastFailureAt ?? 0) / 1000).toFixed(2)} s`,
      f.recoveryMs === null ? `not within the ${r.settings.recoveryMs / 1000} s window` : ms(f.recoveryMs),
    ]),
    numeric: [2, 4],
  };
}

export function admissionsTable(r: ChaosReport): Table {
  return {
    head: [
      'probe',
      'policy (failure mode)',
      'bound',
      'sent',
      'admitted: Redis / local / open',
      '429',
      '503',
      'no answer',
      'excess: Redis / local',
    ],
    rows: r.invariants.admissions.probes.map((p) => [
      p.probe,
      `${p.policy} (${p.failureMode})`,
      p.bound,
      int(p.sent),
      `${int(p.admittedRedis)} / ${int(p.admittedLocal)} / ${int(p.admittedOpen)}`,
      int(p.limited),
      int(p.unavailable),
      int(p.noAnswer),
      `${p.excessRedis} / ${p.excessLocal}`,
    ]),
    numeric: [3, 5, 6, 7],
  };
}

/** How to read the tables. */
export const READING_NOTES = [
  'Rows count the steady traffic (signed-in profile reads and writes, /auth/me, anonymous reads) by the time each request started; the limit probes are only in the admissions table.',
  '"During" is from the injection until the process was back (thawed, or started again); "after" is the observation window that follows.',
  'no answer = refused, reset or abandoned after 10 s; hung = slower than the request budget plus its margin (answered or not).',
  'degraded = a 200 carrying the gateway degraded-session header, of the signed-in profile GETs answered 200; /auth/me reads the session store itself and needs the state Redis.',
  'Recovered after = from the moment the process was back to the end of the last 250 ms slice in which more than 10 % of the requests failed.',
];
