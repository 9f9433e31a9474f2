import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '@redwire/launchers';
import type { ClusterFaultId, Fault, FaultContext, FaultWindow, StateClusterContext } from '../fault.types';
import { INVALIDATION_QUEUE, USER_EVENTS_STREAM_KEY } from '../stack-names';
import {
  type ClusterMaster,
  clusterMasters,
  forceFailover,
  masterServing,
  tagServedBy,
  WriteLedger,
  waitForEverySlot,
} from './cluster-failover';

export { CLUSTER_FAULT_IDS, type ClusterFaultId } from '../fault.types';

/** Failure detection (the node timeout), the replica's election, and room for a loaded machine. */
export const everySlotBoundMs = (nodeTimeoutMs: number): number => 6 * nodeTimeoutMs;

/** How long the writer runs before the fault and after the cluster healed, so both sides have writes. */
const LEDGER_MARGIN_MS = 1000;
/**
 * The writer's pause between rounds: a few hundred acknowledged writes of each kind per second, enough to
 * have some in flight at the fault, without taking a core from the stack it runs beside.
 */
const LEDGER_PAUSE_MS = 2;

function stateCluster(ctx: FaultContext): StateClusterContext {
  if (!ctx.stateCluster) throw new Error('the cluster faults need the state Redis on a cluster');
  return ctx.stateCluster;
}

function processOf(cluster: StateClusterContext, address: string): string {
  const node = cluster.nodes.find((n) => n.address === address);
  if (!node) throw new Error(`no process listens on ${address}`);
  return node.name;
}

/** A cluster fault's window: it ends when every slot answers again, which is also what is measured. */
function slotWindow(injectedAt: number, endedAt: number, boundMs: number) {
  return {
    injectedAt,
    endedAt,
    everySlotAnsweringMs: Math.round(endedAt - injectedAt),
    everySlotBoundMs: boundMs,
  };
}

/**
 * Runs `fault` under a writer into `master`'s slots (session-, stream- and limiter-shaped writes, recording
 * only what the cluster acknowledged) and adds what the writer then found missing to the fault's window.
 */
async function underWriter(
  cluster: StateClusterContext,
  master: ClusterMaster,
  fault: () => Promise<Omit<FaultWindow, 'writeLoss'>>,
): Promise<FaultWindow> {
  const ledger = new WriteLedger(
    cluster.nodes.map((n) => n.address),
    await tagServedBy(master),
    LEDGER_PAUSE_MS,
  );
  try {
    ledger.start();
    await sleep(LEDGER_MARGIN_MS);
    const window = await fault();
    await sleep(LEDGER_MARGIN_MS);
    await ledger.stop();
    return { ...window, writeLoss: await ledger.check() };
  } finally {
    ledger.close();
  }
}

/**
 * SIGKILL the master serving the `user-events` stream (and a third of the sessions and limiter keys); the
 * supervisor holds off until every slot answers again (its replica promoted after the node timeout), then
 * starts it on its AOF and it must rejoin as a replica. The fault ends when every slot answers.
 */
const masterKill: Fault = {
  id: 'cluster-master-kill',
  title: 'state cluster master killed, its replica promoted',
  async run(ctx) {
    const cluster = stateCluster(ctx);
    const addresses = cluster.nodes.map((n) => n.address);
    const victim = await masterServing(addresses[0] as string, USER_EVENTS_STREAM_KEY);
    const name = processOf(cluster, victim.address);
    const bound = everySlotBoundMs(cluster.nodeTimeoutMs);
    return underWriter(cluster, victim, async () => {
      ctx.supervisor.hold(name);
      const injectedAt = ctx.clock();
      const exited = ctx.events.next('exited', name, injectedAt);
      const pid = ctx.supervisor.signal(name, 'SIGKILL');
      if (pid === undefined) throw new Error(`${name} is not running`);
      await exited;
      const survivors = addresses.filter((a) => a !== victim.address);
      await waitForEverySlot(survivors, bound);
      const endedAt = ctx.clock();
      await ctx.supervisor.release(name);
      await pollUntil(
        async () =>
          (await clusterMasters(survivors[0] as string)).some((m) => m.replicas.includes(victim.address))
            ? true
            : undefined,
        { what: `${name} rejoined as a replica`, timeoutMs: 30_000, intervalMs: 200 },
      );
      const rejoinedAt = ctx.clock();
      return {
        ...slotWindow(injectedAt, endedAt, bound),
        action:
          `SIGKILL ${name} (pid ${pid}, master of the user-events stream's slot on ${victim.address}); every slot ` +
          `answered again ${Math.round(endedAt - injectedAt)} ms later (its replica ${victim.replicas.map((r) => processOf(cluster, r)).join(', ')} promoted ` +
          `after the ${cluster.nodeTimeoutMs / 1000} s node timeout); then started again on its AOF, a replica ` +
          `${Math.round(rejoinedAt - endedAt)} ms after that`,
      };
    });
  },
};

/**
 * `CLUSTER FAILOVER` on the replica of the master serving the BullMQ queues: coordinated, the master pauses
 * its clients until the replica has its whole replication stream, so nothing acknowledged may be lost. The
 * fault ends when the replica is master and every slot answers.
 */
const failover: Fault = {
  id: 'cluster-failover',
  title: 'CLUSTER FAILOVER on a replica',
  async run(ctx) {
    const cluster = stateCluster(ctx);
    const addresses = cluster.nodes.map((n) => n.address);
    const master = await masterServing(addresses[0] as string, INVALIDATION_QUEUE.prefix);
    const replica = master.replicas[0];
    if (!replica) throw new Error(`the master on ${master.address} has no replica`);
    const bound = everySlotBoundMs(cluster.nodeTimeoutMs);
    return underWriter(cluster, master, async () => {
      const injectedAt = ctx.clock();
      await forceFailover(replica);
      await pollUntil(
        async () => ((await clusterMasters(replica)).some((m) => m.address === replica) ? true : undefined),
        { what: `${replica} promoted`, timeoutMs: bound, intervalMs: 50 },
      );
      await waitForEverySlot(addresses, bound);
      const endedAt = ctx.clock();
      return {
        ...slotWindow(injectedAt, endedAt, bound),
        action:
          `CLUSTER FAILOVER on ${processOf(cluster, replica)} (${replica}), replica of ${processOf(cluster, master.address)} ` +
          `(master of the job queues' slot); every slot answered again ${Math.round(endedAt - injectedAt)} ms later`,
      };
    });
  },
};

export const CLUSTER_FAULTS: Readonly<Record<ClusterFaultId, Fault>> = {
  'cluster-master-kill': masterKill,
  'cluster-failover': failover,
};
