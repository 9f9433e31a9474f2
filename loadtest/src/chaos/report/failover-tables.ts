import type { ChaosReport, PhaseStats } from '../chaos-report.types';
import type { Table } from './chaos-tables';

// The failover section of `chaos-cluster.md`: per cluster fault, what the signed-in load saw, how long
// until every slot answered, and what a writer into the failing master's slots lost.

const int = (n: number) => n.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Failed answers of a phase: 5xx, no answer, and (counted apart, answered or not) slower than the hung bound. */
function failures(p: PhaseStats | undefined): string {
  if (!p) return '–';
  return `${int(p.s5xx)} / ${int(p.noAnswer)} / ${int(p.hung)} of ${int(p.requests)}`;
}

export function failoverTable(r: ChaosReport): Table {
  const hung = r.settings.hungAfterMs;
  return {
    head: [
      'fault',
      'every slot answering again after (bound)',
      `during: 5xx / no answer / > ${hung} ms`,
      `after: 5xx / no answer / > ${hung} ms`,
      'load recovered after the fault ended',
      'signed-in 401s (during + after)',
      'writer: failed writes',
      'writer: sessions lost',
      'writer: stream entries lost',
      'writer: limiter increments lost',
    ],
    rows: r.faults.map((f, i) => {
      const during = r.phases.find((p) => p.fault === f.id && p.part === 'during');
      const after = r.phases.find((p) => p.fault === f.id && p.part === 'after');
      const loss = f.writeLoss;
      return [
        `${i + 1}. ${f.id}`,
        f.everySlotAnsweringMs === undefined
          ? '–'
          : `${seconds(f.everySlotAnsweringMs)} (${seconds(f.everySlotBoundMs ?? 0)})`,
        failures(during),
        failures(after),
        f.recoveryMs === null
          ? `not within the ${r.settings.recoveryMs / 1000} s window`
          : seconds(f.recoveryMs),
        int((during?.unauthenticated ?? 0) + (after?.unauthenticated ?? 0)),
        loss ? int(loss.errors) : '–',
        loss ? `${int(loss.sessionsLost)} of ${int(loss.sessionsWritten)}` : '–',
        loss ? `${int(loss.streamEntriesLost)} of ${int(loss.streamEntriesWritten)}` : '–',
        loss ? `${int(loss.limiterIncrementsLost)} of ${int(loss.limiterIncrementsWritten)}` : '–',
      ];
    }),
    numeric: [1, 5, 6],
  };
}

/** What the failover section says beside its table: the cluster, how to read it, and what WAIT would cost. */
export function failoverNotes(r: ChaosReport): string[] {
  const c = r.stateCluster;
  if (!c) return [];
  const w = c.waitCost;
  const i = r.invariants;
  const times = (a: number, b: number) => `×${(b / Math.max(a, 0.001)).toFixed(1)}`;
  const excess = i.admissions.probes.reduce((n, p) => n + p.excessRedis, 0);
  return [
    `Across the faults (the invariants below, run-wide): **${int(i.staleReads.stale)} stale reads** of ${int(i.staleReads.checked)} checked; ` +
      `**sessions**: ${i.sessions.lost} of ${i.sessions.sessions} rejected after the run, ${int(i.sessions.rejectedDuringRun)} signed-in 401s during it; ` +
      `**stream entries**: ${int(i.events.missingFromStream)} of ${int(i.events.committed)} outbox events published and then missing from the stream, ${int(i.events.lost)} lost in all; ` +
      `**rate-limit state**: ${int(excess)} admissions over a Redis-decided bound checked across the failovers (${int(i.admissions.overAdmitted)} over any limit, local fallback included).`,
    `State cluster: ${c.masters} masters with ${c.replicasPerMaster} replica each, an AOF per node (fsync every second), cluster-node-timeout ${c.nodeTimeoutMs / 1000} s.`,
    "The load, the stale-read, session, event-delivery, job-effect and admission checks are the single-node run's, through the same gateways; the checks read the stream, the consumer groups and the BullMQ queue through a Cluster client, so every key is read on the master serving it after the failover.",
    '"Every slot answering" is measured by the harness: all 16384 slots covered by CLUSTER SLOTS and each master answering a probe write in its own range.',
    "The writer runs beside the load for each fault, from 1 s before it until 1 s after the cluster healed, with a 2 ms pause between rounds: a session-shaped `SET … PX`, an `XADD` and a limiter-shaped `INCR` into the failing master's slots; after the failover it reads back everything the cluster had acknowledged. Whatever is missing was acknowledged by the old master and never reached the replica that took over (asynchronous replication).",
    `What avoiding that loss would cost: a session write on the stream's master, alone and followed by \`WAIT 1 100\` (a replica has it), ${w.samples} samples each before the load: median ${w.setMedianMs} ms → ${w.setWaitMedianMs} ms (${times(w.setMedianMs, w.setWaitMedianMs)}), p99 ${w.setP99Ms} ms → ${w.setWaitP99Ms} ms (${times(w.setP99Ms, w.setWaitP99Ms)}); ${w.waitTimeouts} WAITs timed out.`,
  ];
}
