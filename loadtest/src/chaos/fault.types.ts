import type { Supervisor } from '@redwire/local-stack';
import type { WriteLoss } from './cluster/cluster-failover';
import type { PartitionProxy } from './partition-proxy';
import type { SupervisorLog } from './supervisor-log';

// The faults' ids and shapes, apart from their implementations (faults.ts, cluster/stack-faults.ts), which
// both need them: one module each way would import the other.

/** The faults `npm run chaos -- --topology cluster` injects into the stack's state cluster, in this order. */
export const CLUSTER_FAULT_IDS = ['cluster-master-kill', 'cluster-failover'] as const;

export type ClusterFaultId = (typeof CLUSTER_FAULT_IDS)[number];

/** The faults `npm run chaos` injects on the single-node state Redis, in this order by default. */
export const FAULT_IDS = [
  'redis-freeze',
  'redis-kill',
  'cache-kill',
  'postgres-freeze',
  'postgres-kill',
  'worker-kill',
  'user-kill',
  'auth-kill',
  'gateway-kill',
  'gateway-partition',
] as const;

/** A fault of either topology (the state cluster's: `CLUSTER_FAULT_IDS`). */
export type FaultId = (typeof FAULT_IDS)[number] | ClusterFaultId;

/** The state Redis Cluster as the cluster faults see it (`--topology cluster`). */
export interface StateClusterContext {
  /** Every node: its supervisor process name and its `127.0.0.1:port`. */
  readonly nodes: readonly { readonly name: string; readonly address: string }[];
  /** Its cluster-node-timeout: how long a master may be unreachable before its replica takes over. */
  readonly nodeTimeoutMs: number;
}

/** What a fault needs from the run. */
export interface FaultContext {
  readonly supervisor: Supervisor;
  readonly events: SupervisorLog;
  /** ms since the run's start. */
  readonly clock: () => number;
  readonly freezeMs: number;
  readonly downMs: number;
  /** The second gateway's process name (the one the gateway fault kills). */
  readonly secondGateway: string;
  /** What answers 200 once a service can serve again. */
  readonly readyUrl: (name: string) => string | undefined;
  /** The link between the partitionable gateway and the state Redis (single-node topology only). */
  readonly partition?: PartitionProxy;
  /**
   * The gateway behind that link, idle until `moveIn()` sends half of the signed-in users to it (as a load
   * balancer would); `moveBack()` returns them. Only this gateway reaches Redis through the link, so no
   * other fault is measured through it.
   */
  readonly partitionable?: { readonly name: string; moveIn(): void; moveBack(): void };
  /** With the cluster topology: its nodes (the single-node faults do not apply there). */
  readonly stateCluster?: StateClusterContext;
}

/** When a fault was in force: from its injection to the moment the process was back (or thawed). */
export interface FaultWindow {
  readonly injectedAt: number;
  readonly endedAt: number;
  /** What exactly was done, for the report. */
  readonly action: string;
  /** Cluster faults: from the fault until all 16384 slots had a master answering a write again. */
  readonly everySlotAnsweringMs?: number;
  /** Cluster faults: the bound on that (detection, election, room for a loaded machine). */
  readonly everySlotBoundMs?: number;
  /** Cluster faults: what a writer into the failing master's slots had acknowledged and then lost. */
  readonly writeLoss?: WriteLoss;
}

export interface Fault {
  readonly id: FaultId;
  readonly title: string;
  run(context: FaultContext): Promise<FaultWindow>;
  /** Undoes set-up the fault needed, once its recovery window is over. @default nothing */
  after?(context: FaultContext): void;
}
