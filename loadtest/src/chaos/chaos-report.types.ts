import type { WaitCost, WriteLoss } from './cluster/cluster-failover';
import type { FaultId } from './faults';

/** `loadtest/results/chaos.json`. Times are ms since the run's start unless named `…At` with an ISO date. */
export interface ChaosReport {
  readonly schema: 1;
  readonly suite: 'redwire-chaos';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  readonly gitCommit?: string;
  readonly machine: ChaosMachine;
  readonly settings: ChaosSettings;
  /** The baseline, then for each fault the window it was in force and the recovery window after it. */
  readonly phases: readonly PhaseStats[];
  readonly faults: readonly FaultResult[];
  readonly invariants: Invariants;
  /** Requests per 250 ms bucket and their latency, for the timeline chart. */
  readonly timeline: readonly TimelineBucket[];
  /** Restarts and exits the supervisor saw. */
  readonly supervisorEvents: readonly { readonly at: number; readonly text: string }[];
  /** Faults that were not injected, and why (e.g. the network partition hook). */
  readonly notRun: readonly { readonly id: string; readonly reason: string }[];
  /** With `--topology cluster`: the state cluster, and what `WAIT 1` costs a write on it. */
  readonly stateCluster?: StateClusterReport;
}

export interface StateClusterReport {
  readonly masters: number;
  readonly replicasPerMaster: number;
  /** cluster-node-timeout as the nodes report it. */
  readonly nodeTimeoutMs: number;
  /** A session-shaped write alone and followed by `WAIT 1 100`, measured before the load started. */
  readonly waitCost: WaitCost;
}

export interface ChaosMachine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly redis: string;
  readonly postgres: string;
  /** `uptime`'s 1-minute load average at the start and at the end. */
  readonly loadAverageStart: number;
  readonly loadAverageEnd: number;
}

export interface ChaosSettings {
  readonly mode: 'full' | 'short';
  /** The state Redis: one node, or a Redis Cluster (3 masters, 1 replica each). */
  readonly topology: 'single' | 'cluster';
  /** REDWIRE_INSTANCES of the run (1: two gateways in front of one of each other service). */
  readonly instances: number;
  /** The user services' L1 was on (`--l1`). */
  readonly l1?: boolean;
  readonly users: number;
  readonly anonymous: number;
  readonly userIntervalMs: number;
  /** Gateways the load is spread over. */
  readonly gateways: number;
  /** A further gateway that half the users move to for the partition fault (it alone reaches Redis through the link). */
  readonly partitionGateway: boolean;
  readonly freezeMs: number;
  readonly downMs: number;
  readonly recoveryMs: number;
  readonly requestBudgetMs: number;
  /** Answers slower than this are counted as hung. */
  readonly hungAfterMs: number;
  /** The response header counted as "served in degraded session mode". */
  readonly degradedHeader: string;
  /** State Redis persistence: the run keeps data in a folder (AOF on). */
  readonly persistence: boolean;
}

/** One row of the per-phase table: the steady traffic (probes excluded) whose requests started in it. */
export interface PhaseStats {
  readonly id: string;
  readonly label: string;
  readonly part: 'baseline' | 'during' | 'after';
  readonly fault?: FaultId;
  readonly fromMs: number;
  readonly toMs: number;
  readonly requests: number;
  readonly s2xx: number;
  readonly s4xx: number;
  readonly s5xx: number;
  readonly noAnswer: number;
  /** Answered (or abandoned) later than hungAfterMs. */
  readonly hung: number;
  /** 401 on a signed-in request: a session the gateway no longer accepted. */
  readonly unauthenticated: number;
  /** 429 on the steady traffic (it stays under every limit, so any is unexpected). */
  readonly limited: number;
  /** 503 answers that carried Retry-After, of all 503s. */
  readonly retryAfter503: number;
  readonly s503: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Signed-in profile reads (GET /users/:id), those answered 200, and of those the ones served in degraded session mode. */
  readonly profileReads: number;
  readonly profileReads200: number;
  readonly degraded200: number;
  /** GET /auth/me (it reads the session store itself, so it needs the state Redis), and those answered 200. */
  readonly me: number;
  readonly me200: number;
  /** Writes answered 200, of all writes. */
  readonly writes: number;
  readonly writes200: number;
  /** The failing answers by what they were: problem code (`E_UNAVAILABLE`), status, or the client error. */
  readonly failures: Readonly<Record<string, number>>;
}

/** What one fault did to the steady traffic, from its injection to the end of its recovery window. */
export interface FaultResult {
  readonly id: FaultId;
  readonly title: string;
  readonly action: string;
  readonly injectedAt: number;
  /** When the process was back (thawed, or started again). */
  readonly endedAt: number;
  readonly windowEndAt: number;
  /** Requests that did not get the expected answer (non-2xx, no answer). */
  readonly failed: number;
  /** First and last failing request (start times), if any failed. */
  readonly firstFailureAt: number | null;
  readonly lastFailureAt: number | null;
  /**
   * From the fault's end until the traffic was healthy again: the end of the last 250 ms slice after it in
   * which more than 10 % of the requests failed (0 when none did); null when such a slice fell in the
   * recovery window's last second.
   */
  readonly recoveryMs: number | null;
  /** Cluster faults: from the fault until all 16384 slots had a master answering a write again. */
  readonly everySlotAnsweringMs?: number;
  readonly everySlotBoundMs?: number;
  /** Cluster faults: what a writer into the failing master's slots had acknowledged and then lost. */
  readonly writeLoss?: WriteLoss;
}

export interface Invariants {
  readonly staleReads: StaleReadCheck;
  readonly events: EventDeliveryCheck;
  readonly jobs: JobEffectsCheck;
  readonly sessions: SessionCheck;
  readonly admissions: AdmissionCheck;
  /** Every invariant held. */
  readonly held: boolean;
}

export interface StaleReadCheck {
  /** 200 reads whose start followed an acknowledged write of the same profile. */
  readonly checked: number;
  /**
   * Reads older than the rule allows: without the L1, than the newest write acknowledged before the read
   * began; with it, than the newest acknowledged `l1TtlMs` before (the user service's stated bound).
   */
  readonly stale: number;
  /** With the L1 on (USER_CACHE_L1): its TTL, the bound the check allows. */
  readonly l1TtlMs?: number;
  /** With the L1 on: reads older than the newest acknowledged write yet inside the L1 bound (measured). */
  readonly insideL1Bound?: number;
  /** Up to 20 examples. */
  readonly examples: readonly {
    readonly target: number;
    readonly readStart: number;
    readonly version: number;
    readonly acknowledged: number;
    readonly acknowledgedAt: number;
  }[];
}

export interface EventDeliveryCheck {
  /** Outbox rows committed during the run. */
  readonly committed: number;
  /** Still unpublished after the settle time. */
  readonly unpublished: number;
  /** Published, but not in the stream. */
  readonly missingFromStream: number;
  /** Events in the stream more than once (at-least-once relay: allowed, the consumers are idempotent). */
  readonly republished: number;
  /** The stream was trimmed past the run's first entry (the check would be blind): must be false. */
  readonly trimmedPastRunStart: boolean;
  readonly groups: readonly {
    readonly group: string;
    /** Delivered but never acknowledged. */
    readonly pending: number;
    /** Run entries after the group's last-delivered id: never delivered. */
    readonly undelivered: number;
    /** Entries of the run moved to the dead-letter stream by this group. */
    readonly deadLettered: number;
  }[];
  /** unpublished + missing + every group's pending, undelivered and dead-lettered. */
  readonly lost: number;
  /** Seconds the settle step waited for the backlog to drain. */
  readonly settleSeconds: number;
}

export interface JobEffectsCheck {
  /** Users whose final version is below a version a write acknowledged (a lost write). */
  readonly lostWrites: number;
  /** Users whose version rose more than the writes that could have committed (a write applied twice). */
  readonly duplicatedWrites: number;
  /** Outbox events per (user, version): missing ones and duplicates. */
  readonly outboxGaps: number;
  readonly outboxDuplicates: number;
  /** cache-invalidation jobs added during the run, and how they ended. */
  readonly invalidationJobs: {
    readonly failed: number;
    /** Still waiting, active or delayed after the settle time. */
    readonly stuck: number;
    readonly completed: number;
  };
  readonly acknowledgedWrites: number;
  /** Writes with no answer or a 5xx: they may or may not have committed. */
  readonly uncertainWrites: number;
  readonly lost: number;
  readonly duplicated: number;
}

export interface SessionCheck {
  /** Sessions created before the faults (one per user). */
  readonly sessions: number;
  /** Of those, how many GET /auth/me rejected (401) after the run. */
  readonly lost: number;
  /** 401s on signed-in requests during the run. */
  readonly rejectedDuringRun: number;
}

export interface AdmissionCheck {
  readonly probes: readonly ProbeAdmissions[];
  /**
   * Requests of any kind the gateway decided without Redis (`RateLimit-Mode` set). Each skipped the open
   * policies that applied to it (`ip`, 100/s per address, applies to every request): they were admitted
   * without that check.
   */
  readonly decidedWithoutRedis: number;
  /** Admissions beyond what each policy and its failure mode allow, summed. */
  readonly overAdmitted: number;
}

export interface ProbeAdmissions {
  readonly probe: 'probe-anon' | 'probe-user' | 'probe-login';
  readonly policy: string;
  /** The policy's declared failure mode. */
  readonly failureMode: 'open' | 'closed' | 'local';
  readonly bound: string;
  readonly sent: number;
  /** Admitted with a Redis decision, by the local fallback, and without a check (open). */
  readonly admittedRedis: number;
  readonly admittedLocal: number;
  readonly admittedOpen: number;
  readonly limited: number;
  readonly unavailable: number;
  readonly noAnswer: number;
  /** Largest excess over the bound in any window, per source (0 = within). */
  readonly excessRedis: number;
  readonly excessLocal: number;
}

export interface TimelineBucket {
  readonly t: number;
  readonly s2xx: number;
  readonly s4xx: number;
  readonly s5xx: number;
  readonly noAnswer: number;
  readonly p50Ms: number | null;
  readonly maxMs: number | null;
}
