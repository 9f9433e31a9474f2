/** The shapes shared by cases, the runner and the report writers. `latest.json` is a `BenchResults`. */

/** Whether a variant is redwire's own code or a named alternative it is compared with. */
export type VariantRole = 'redwire' | 'baseline';

/** `missing`: the redwire part does not exist yet; `failed`: set-up or every run threw. */
export type VariantStatus = 'measured' | 'missing' | 'failed';

/** What one measured run of a throughput variant produced. */
export interface ThroughputSample {
  /** Completed operations (or expected HTTP responses) per second. */
  readonly opsPerSec: number;
  readonly ops: number;
  /** Unexpected outcomes: thrown errors, wrong HTTP status, connection errors, timeouts. */
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** The first unexpected outcome, to make an error count actionable. */
  readonly firstError?: string;
}

export interface ThroughputRun extends ThroughputSample {
  readonly round: number;
}

/** A ratio of medians-of-rounds: the median of per-round ratios (each round's pair ran back to back). */
export interface RatioResult {
  /** Variant id of the denominator. */
  readonly against: string;
  readonly value: number;
  readonly perRound: readonly number[];
  /** (max − min) / median of the per-round ratios. */
  readonly spread: number;
}

export interface ThroughputVariantResult {
  readonly id: string;
  readonly label: string;
  readonly role: VariantRole;
  readonly description: string;
  readonly status: VariantStatus;
  /** Why it was not measured (`missing`) or what failed (`failed`). */
  readonly reason?: string;
  readonly runs: readonly ThroughputRun[];
  readonly median?: { readonly opsPerSec: number; readonly p50Ms: number; readonly p99Ms: number };
  /** (max − min) / median of ops/s over the rounds. */
  readonly spread?: number;
  /** Against the case's baseline (absent for the baseline itself and for unmeasured variants). */
  readonly ratio?: RatioResult;
}

export interface ThroughputCaseResult {
  readonly kind: 'throughput';
  readonly id: string;
  readonly title: string;
  /** What one operation is: `decisions/s`, `reads/s`, `req/s`. */
  readonly unit: string;
  /** How load was generated, e.g. `in-process, 64 callers` or `autocannon, 50 connections`. */
  readonly driver: string;
  /** Variant id every ratio is computed against. */
  readonly baseline: string;
  readonly variants: readonly ThroughputVariantResult[];
  readonly notes: readonly string[];
}

export interface LagRun {
  readonly round: number;
  /** Writes whose invalidation was observed. */
  readonly samples: number;
  /** Writes whose invalidation was not observed within the wait limit. */
  readonly lost: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** What the run saw that explains its tail. */
  readonly detail?: string;
}

export interface LagVariantResult {
  readonly id: string;
  readonly label: string;
  readonly role: VariantRole;
  readonly description: string;
  readonly status: VariantStatus;
  readonly reason?: string;
  readonly runs: readonly LagRun[];
  /** Over every sample of every round. */
  readonly overall?: {
    readonly samples: number;
    readonly lost: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
  };
  /** (max − min) / median of the per-round p99. */
  readonly p99Spread?: number;
}

export interface LagCaseResult {
  readonly kind: 'lag';
  readonly id: string;
  readonly title: string;
  readonly driver: string;
  readonly variants: readonly LagVariantResult[];
  readonly notes: readonly string[];
}

export interface MemoryEntryResult {
  readonly id: string;
  readonly label: string;
  readonly role: VariantRole;
  readonly status: VariantStatus;
  readonly reason?: string;
  /** `MEMORY USAGE <key> SAMPLES 0`. */
  readonly bytes?: number;
  /** Key name pattern (ids replaced by placeholders). */
  readonly key?: string;
  readonly detail?: string;
}

export interface MemoryCaseResult {
  readonly kind: 'memory';
  readonly id: string;
  readonly title: string;
  readonly entries: readonly MemoryEntryResult[];
  readonly notes: readonly string[];
}

export type CaseResult = ThroughputCaseResult | LagCaseResult | MemoryCaseResult;

/** One target from the issue, checked against this run (reported, never asserted). */
export interface TargetResult {
  readonly id: string;
  /** e.g. `limiter allow, 2 policies ≥ 1.0× rate-limiter-flexible doing 1`. */
  readonly description: string;
  readonly op: '>=' | '<=';
  readonly threshold: number;
  readonly unit: '×' | 'ms' | 'B';
  readonly actual?: number;
  readonly verdict: 'met' | 'short' | 'not-measured';
  /** How the number was obtained, or why it is missing; for `short`, by how much. */
  readonly detail: string;
  /** The anchor docs/measurements.md measured for the baseline library, for context. */
  readonly anchor?: string;
}

export interface MachineInfo {
  readonly hostname: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly redis: string;
  readonly postgres: string;
  /** The 1-minute load average when the run started (other work on the machine skews numbers). */
  readonly loadAverage: number;
}

export interface BenchSettings {
  readonly mode: 'full' | 'smoke';
  readonly rounds: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly callers: number;
  readonly connections: number;
  readonly lagWrites: number;
}

export interface BenchResults {
  readonly schema: 1;
  readonly suite: 'redwire-bench';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallSeconds: number;
  readonly gitCommit?: string;
  readonly machine: MachineInfo;
  readonly settings: BenchSettings;
  readonly cases: readonly CaseResult[];
  readonly targets: readonly TargetResult[];
}
