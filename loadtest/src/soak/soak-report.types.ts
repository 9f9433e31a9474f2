/** `loadtest/results/soak.json`. */
export interface SoakReport {
  readonly schema: 1;
  readonly suite: 'redwire-soak';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly gitCommit?: string;
  readonly machine: {
    readonly cpus: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly node: string;
    readonly redis: string;
  };
  readonly settings: {
    readonly minutes: number;
    readonly sampleSeconds: number;
    readonly users: number;
    readonly userIntervalMs: number;
    readonly anonymous: number;
    readonly sessionChurnMs: number;
  };
  readonly samples: readonly SoakSample[];
  readonly summary: SoakSummary;
}

/** One look at the stack, `t` seconds after the load started. */
export interface SoakSample {
  readonly t: number;
  /** 1-minute load average of the machine. */
  readonly loadAverage: number;
  /** Resident memory per process in MiB (RSS; PostgreSQL: the PSS of the postmaster and its backends summed). */
  readonly rssMiB: Readonly<Record<string, number>>;
  readonly redis: Readonly<Record<'state' | 'cache', RedisSample>>;
  /** Requests since the previous sample. */
  readonly requests: {
    readonly total: number;
    readonly failed: number;
    readonly p50Ms: number | null;
    readonly p99Ms: number | null;
  };
}

export interface RedisSample {
  readonly usedMemoryMiB: number;
  readonly keys: number;
  /** The append-only file's size in MiB (state Redis with persistence), else 0. */
  readonly aofMiB: number;
  /** Keys per family (key with ids replaced by placeholders). */
  readonly families: Readonly<Record<string, KeyFamilySample>>;
}

export interface KeyFamilySample {
  readonly keys: number;
  /** Keys of the family without a TTL. */
  readonly noTtl: number;
  /** Elements held by the keys without a TTL (stream entries, list/set/hash/zset members; 1 per string). */
  readonly noTtlElements: number;
}

export interface SoakSummary {
  readonly requests: number;
  readonly failed: number;
  /** What the failed requests got (problem code and detail, or the client error), most frequent first. */
  readonly failures: Readonly<Record<string, number>>;
  readonly loadAverage: { readonly min: number; readonly max: number; readonly mean: number };
  readonly processes: readonly TrendRow[];
  readonly redis: readonly TrendRow[];
  readonly families: readonly FamilyRow[];
  /** Families or processes flagged as growing; empty when nothing grew without bound. */
  readonly flags: readonly string[];
}

/** A series over the run: where it started, peaked and ended, and how it moved in the second half. */
export interface TrendRow {
  readonly name: string;
  readonly unit: 'MiB' | 'keys';
  readonly first: number;
  readonly max: number;
  readonly last: number;
  /** The lowest value in the run's second quarter, and in its last quarter. */
  readonly floorEarly: number;
  readonly floorLate: number;
  /** Least-squares slope over the second half of the run, per hour (peaks included; for reference). */
  readonly slopePerHour: number;
  /** The floor rose by more than the tolerance (5 % of the peak, at least 5 MiB / 2 MiB / 20 keys). */
  readonly growing: boolean;
}

export interface FamilyRow {
  readonly role: 'state' | 'cache';
  readonly family: string;
  readonly keysFirst: number;
  readonly keysLast: number;
  readonly keysMax: number;
  readonly noTtlLast: number;
  readonly noTtlElementsFirst: number;
  readonly noTtlElementsLast: number;
  /**
   * `ttl`: every key had one. Otherwise: `bounded` (a declared cap: MAXLEN, BullMQ retention, one per
   * user), `flat` (no declared cap, did not grow), or `GROWING` (flagged).
   */
  readonly verdict: 'ttl' | 'no ttl, bounded' | 'no ttl, flat' | 'no ttl, GROWING';
  /** The declared cap, for `bounded`. */
  readonly bound?: string;
}
