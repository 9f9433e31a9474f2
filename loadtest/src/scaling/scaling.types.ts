import type { RedisCostPerOp } from './redis-stats';

/** How `npm run scaling` measures (recorded in the report). */
export interface ScalingSettings {
  /** Seconds of each in-process library run (closed loop). */
  readonly libraryDurationS: number;
  /** Concurrent in-process callers of a library run. */
  readonly callers: number;
  /** Seconds of each HTTP run at a fixed rate. */
  readonly httpDurationS: number;
  /** Requests per second offered to a process in an HTTP run (autocannon overallRate). */
  readonly httpRate: number;
  /** Seconds of the quiet window before each measured run (its Redis CPU is the background, subtracted). */
  readonly quietS: number;
  /** Cache misses measured (each after an unmeasured invalidation of the key). */
  readonly misses: number;
}

/** Redis (and, where it takes part, PostgreSQL) cost of one library operation. */
export interface OperationResult {
  readonly id: string;
  readonly label: string;
  /** What one operation is, and through which public call. */
  readonly description: string;
  readonly durationS: number;
  readonly opsPerSec: number;
  /** Unexpected outcomes (a deny, a miss on the hit path, a failed write); should be 0. */
  readonly errors: number;
  readonly firstError?: string;
  /** Redis time per operation, background subtracted. */
  readonly redis: RedisCostPerOp;
  /** Redis CPU the quiet window before the run would have spent over the run, per operation (subtracted). */
  readonly backgroundCpuUsec: number;
  /** CPU of this Node process per operation: the library plus the closed-loop driver (an upper bound). */
  readonly callerCpuUsec: number;
  /** CPU of PostgreSQL (postmaster and backends) per operation, where the operation reaches it. */
  readonly postgresCpuUsec?: number;
}

/** Node CPU per request of one service process under a fixed request rate. */
export interface RequestResult {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly durationS: number;
  /** Requests per second offered. */
  readonly offeredRps: number;
  /** Expected answers per second. */
  readonly achievedRps: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** utime + stime of the process (from /proc) ÷ requests answered. */
  readonly cpuUsecPerRequest: number;
  /** The process's CPU over the run as a share of one core (0.25 = 25 %). */
  readonly coreShare: number;
  /** Everything Redis did during the run, per request (background subtracted). */
  readonly redis: RedisCostPerOp;
}

/** loadtest/results/scaling.json. */
export interface ScalingReport {
  readonly kind: 'scaling';
  readonly startedAt: string;
  readonly wallS: number;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly loadAverage: { readonly start: number; readonly end: number };
    readonly node: string;
    readonly redis: string;
    readonly postgres: string;
  };
  readonly settings: ScalingSettings;
  readonly operations: readonly OperationResult[];
  readonly requests: readonly RequestResult[];
  readonly gitCommit?: string;
}
