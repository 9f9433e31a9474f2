import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil, startRedisCluster } from '@redwire/launchers';
import {
  clusterMasters,
  forceFailover,
  killMaster,
  measureWaitCost,
  tagServedBy,
  type WaitCost,
  WriteLedger,
  type WriteLoss,
  waitForEverySlot,
} from './cluster-failover';

/** The state cluster of `REDWIRE_REDIS_TOPOLOGY=cluster` (infra/local-stack): same shape and node timeout. */
const STATE_CLUSTER = { masters: 3, replicasPerMaster: 1, appendOnly: true, nodeTimeoutMs: 5000 } as const;
/** Detection (the node timeout), the election, and room for a loaded machine. */
const EVERY_SLOT_BOUND_MS = 6 * STATE_CLUSTER.nodeTimeoutMs;

export interface ClusterFaultResult {
  readonly id: 'cluster-master-kill' | 'cluster-failover';
  readonly action: string;
  /** From the fault to the moment every slot had a master answering a probe write. */
  readonly everySlotAnsweringMs: number;
  readonly everySlotBoundMs: number;
  readonly loss: WriteLoss;
}

export interface ClusterChaosReport {
  readonly schema: 1;
  readonly suite: 'redwire-chaos-cluster';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: {
    readonly cpus: number;
    readonly loadAverageStart: number;
    readonly loadAverageEnd: number;
  };
  readonly cluster: typeof STATE_CLUSTER;
  readonly waitCost: WaitCost;
  readonly faults: readonly ClusterFaultResult[];
  /** Every slot answered within its bound after each fault, and the coordinated failover lost nothing. */
  readonly held: boolean;
}

/**
 * The failover faults on a cluster shaped like the stack's state cluster, each under a writer recording what
 * the cluster acknowledged (session-, stream- and limiter-shaped writes in the failing master's slots).
 */
export async function runClusterChaos(
  log: (line: string) => void,
  settleMs = 2000,
): Promise<ClusterChaosReport> {
  const startedAt = new Date();
  const loadAverageStart = os.loadavg()[0] ?? 0;
  log('starting a Redis Cluster of 3 masters with 1 replica each (AOF, cluster-node-timeout 5 s)');
  const cluster = await startRedisCluster(STATE_CLUSTER);
  const addresses = cluster.nodes.map((n) => `${n.host}:${n.port}`);
  try {
    const faults: ClusterFaultResult[] = [];
    const [victim] = await clusterMasters(addresses[0] as string);
    if (!victim) throw new Error('no master');
    const victimTag = await tagServedBy(victim);
    log('measuring a session write alone and followed by WAIT 1 100');
    const waitCost = await measureWaitCost(victim, victimTag, 1000);

    log(`fault: SIGKILL the master on ${victim.address}`);
    const killLedger = new WriteLedger(addresses, victimTag);
    try {
      killLedger.start();
      await sleep(settleMs);
      const server = cluster.servers[addresses.indexOf(victim.address)];
      if (!server) throw new Error('no server for the victim');
      const killedAt = performance.now();
      await killMaster(server);
      const survivors = addresses.filter((a) => a !== victim.address);
      await waitForEverySlot(survivors, EVERY_SLOT_BOUND_MS);
      const everySlotAnsweringMs = performance.now() - killedAt;
      await server.start();
      await pollUntil(
        async () =>
          (await clusterMasters(survivors[0] as string)).some((m) => m.replicas.includes(victim.address))
            ? true
            : undefined,
        { what: 'the old master rejoined as a replica', timeoutMs: 30_000, intervalMs: 200 },
      );
      await sleep(settleMs);
      await killLedger.stop();
      faults.push({
        id: 'cluster-master-kill',
        action: `SIGKILL the master on ${victim.address}; its replica promoted after the node timeout; the old master started again with its AOF and rejoined as a replica`,
        everySlotAnsweringMs: Math.round(everySlotAnsweringMs),
        everySlotBoundMs: EVERY_SLOT_BOUND_MS,
        loss: await killLedger.check(),
      });
    } finally {
      killLedger.close();
    }

    const master = (await clusterMasters(addresses[1] as string)).find((m) => m.replicas.length > 0);
    if (!master) throw new Error('no master with a replica');
    const replica = master.replicas[0] as string;
    log(`fault: CLUSTER FAILOVER on ${replica} (replica of ${master.address})`);
    const failoverLedger = new WriteLedger(addresses, await tagServedBy(master));
    try {
      failoverLedger.start();
      await sleep(settleMs);
      const failoverAt = performance.now();
      await forceFailover(replica);
      await pollUntil(
        async () => ((await clusterMasters(replica)).some((m) => m.address === replica) ? true : undefined),
        { what: 'the replica promoted', timeoutMs: 30_000, intervalMs: 50 },
      );
      await waitForEverySlot(addresses, EVERY_SLOT_BOUND_MS);
      const everySlotAnsweringMs = performance.now() - failoverAt;
      await sleep(settleMs);
      await failoverLedger.stop();
      faults.push({
        id: 'cluster-failover',
        action: `CLUSTER FAILOVER on the replica ${replica}; ${master.address} became its replica`,
        everySlotAnsweringMs: Math.round(everySlotAnsweringMs),
        everySlotBoundMs: EVERY_SLOT_BOUND_MS,
        loss: await failoverLedger.check(),
      });
    } finally {
      failoverLedger.close();
    }
    const failover = faults.find((f) => f.id === 'cluster-failover')?.loss;
    return {
      schema: 1,
      suite: 'redwire-chaos-cluster',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: { cpus: os.cpus().length, loadAverageStart, loadAverageEnd: os.loadavg()[0] ?? 0 },
      cluster: STATE_CLUSTER,
      waitCost,
      faults,
      held:
        faults.every((f) => f.everySlotAnsweringMs < f.everySlotBoundMs) &&
        failover !== undefined &&
        failover.sessionsLost + failover.streamEntriesLost + failover.limiterIncrementsLost === 0,
    };
  } finally {
    await cluster.stop();
  }
}

export function renderClusterChaosMarkdown(report: ClusterChaosReport): string {
  const w = report.waitCost;
  const rows = report.faults.map((f) => {
    const l = f.loss;
    return `| ${f.id} | ${(f.everySlotAnsweringMs / 1000).toFixed(1)} s (bound ${f.everySlotBoundMs / 1000} s) | ${l.errors} | ${l.sessionsLost} of ${l.sessionsWritten} | ${l.streamEntriesLost} of ${l.streamEntriesWritten} | ${l.limiterIncrementsLost} of ${l.limiterIncrementsWritten} |`;
  });
  return `# redwire chaos: state Redis Cluster failover

${report.startedAt} · ${report.machine.cpus} cores, load ${report.machine.loadAverageStart.toFixed(1)} → ${report.machine.loadAverageEnd.toFixed(1)} (shared machine: read ratios and counts, not absolute times) · verdict: **${report.held ? 'held' : 'VIOLATED'}**

Cluster: ${report.cluster.masters} masters, ${report.cluster.replicasPerMaster} replica each, AOF (fsync every second), cluster-node-timeout ${report.cluster.nodeTimeoutMs / 1000} s — the state cluster of \`REDWIRE_REDIS_TOPOLOGY=cluster\`.
A single client writes in a loop into the failing master's slots (a session-shaped \`SET … PX\`, an \`XADD\`, a limiter-shaped \`INCR\`) and records what the cluster acknowledged; after the failover everything acknowledged is read back.

${report.faults.map((f) => `- **${f.id}**: ${f.action}`).join('\n')}

| fault | every slot answering again after | failed writes during the failover | sessions lost | stream entries lost | limiter increments lost |
|---|---|---|---|---|---|
${rows.join('\n')}

## What \`WAIT 1\` would cost

A session write on a master, alone and followed by \`WAIT 1 100\` (its replica acknowledged it), ${w.samples} samples each: median ${w.setMedianMs} ms → ${w.setWaitMedianMs} ms (×${(w.setWaitMedianMs / Math.max(w.setMedianMs, 0.001)).toFixed(1)}), p99 ${w.setP99Ms} ms → ${w.setWaitP99Ms} ms; ${w.waitTimeouts} WAITs timed out.
`;
}
