import type { FamilyRow, SoakSample, SoakSummary, TrendRow } from './soak-report.types';

/**
 * Key families that may legitimately hold keys without a TTL, and what bounds them. Anything else without a
 * TTL that grows is flagged. The numbers are the services' defaults (USER_EVENTS_MAXLEN, the dead-letter and
 * auth-events caps, BullMQ's retention options in services/user/src/jobs).
 */
export const KNOWN_BOUNDS: readonly {
  readonly pattern: RegExp;
  readonly bound: string;
  readonly maxElements?: number;
}[] = [
  {
    pattern: /^user:stream:\{user-events\}$/,
    bound: 'MAXLEN ~ 100 000 (USER_EVENTS_MAXLEN)',
    maxElements: 100_000,
  },
  {
    pattern: /^user:stream:\{user-events\}:dlq$/,
    bound: 'MAXLEN ~ 10 000 (dead letters)',
    maxElements: 10_000,
  },
  { pattern: /^auth:stream:\{auth-events\}$/, bound: 'MAXLEN ~ 10 000 (revocations)', maxElements: 10_000 },
  {
    pattern: /^user:\{jobs\}:[a-z-]+:events$/,
    bound: 'BullMQ event stream, MAXLEN ~ 10 000',
    maxElements: 10_000,
  },
  {
    pattern: /^user:\{jobs\}:cache-invalidation:completed$/,
    bound: 'removeOnComplete: ≤ 1000 jobs, ≤ 1 h',
    maxElements: 1000,
  },
  { pattern: /^user:\{jobs\}:cache-invalidation:failed$/, bound: 'removeOnFail: 7 days' },
  {
    pattern: /^user:\{jobs\}:outbox-maintenance:(completed|failed)$/,
    bound: 'removeOnComplete/removeOnFail: 100 runs',
    maxElements: 100,
  },
  {
    pattern: /^user:\{jobs\}:cache-invalidation:<n>$/,
    bound: 'one hash per retained job (completed ≤ 1000, failed ≤ 7 days)',
  },
  {
    pattern: /^user:\{jobs\}:outbox-maintenance:repeat:outbox-cleanup:<n>$/,
    bound: 'one hash per retained cleanup run (≤ 100 each way) and the next one',
  },
  {
    pattern: /^user:\{jobs\}:[a-z-]+:(meta|id|marker|wait|active|delayed|prioritized|paused|repeat|pc)$/,
    bound: 'BullMQ queue bookkeeping: one per queue (jobs in it are bounded as above)',
  },
  {
    pattern: /^user:\{jobs\}:outbox-maintenance:repeat:outbox-cleanup$/,
    bound: 'the cleanup job scheduler: one',
  },
  {
    pattern: /^user:\{jobs\}:cache-invalidation:de:user-<id>$/,
    bound: 'deduplication: one per user with a job waiting',
  },
  {
    pattern: /^auth:session:\{<token>\}:(ix|u)$/,
    bound: 'one per user with sessions (index, account mirror)',
  },
];

export function boundOf(family: string): { bound: string; maxElements?: number } | undefined {
  return KNOWN_BOUNDS.find((b) => b.pattern.test(family));
}

/** Least-squares slope of (t seconds, y) per hour. */
function slopePerHour(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mt = points.reduce((s, [t]) => s + t, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [t, y]) => s + (t - mt) * (y - my), 0);
  const den = points.reduce((s, [t]) => s + (t - mt) ** 2, 0);
  return den === 0 ? 0 : (num / den) * 3600;
}

/** The lowest value among the samples in the quarter `q` (0-3) of the run. */
function quarterFloor(series: readonly (readonly [number, number])[], q: number): number {
  const n = series.length;
  const part = series.slice(
    Math.floor((q * n) / 4),
    Math.max(Math.floor(((q + 1) * n) / 4), Math.floor((q * n) / 4) + 1),
  );
  return Math.min(...part.map(([, y]) => y));
}

/**
 * A series grows when its floor rises: the lowest value of the run's last quarter against that of its
 * second quarter (the first is warm-up). A garbage-collected heap saws up and down, and its peaks say
 * little; what a collection cannot free lifts the floor. The second half's least-squares slope is reported
 * alongside.
 */
function trend(
  name: string,
  unit: TrendRow['unit'],
  series: readonly (readonly [number, number])[],
  tolerance: (max: number) => number,
): TrendRow {
  const values = series.map(([, y]) => y);
  const secondHalf = series.slice(Math.floor(series.length / 2));
  const max = Math.max(...values);
  const floorEarly = quarterFloor(series, 1);
  const floorLate = quarterFloor(series, 3);
  return {
    name,
    unit,
    first: values[0] ?? 0,
    max,
    last: values.at(-1) ?? 0,
    floorEarly,
    floorLate,
    slopePerHour: Math.round(slopePerHour(secondHalf) * 10) / 10,
    growing: floorLate - floorEarly > tolerance(max),
  };
}

export function summarize(samples: readonly SoakSample[]): Omit<SoakSummary, 'failures'> {
  const processes = Object.keys(samples[0]?.rssMiB ?? {}).map((name) =>
    trend(
      `${name} RSS`,
      'MiB',
      samples.map((s) => [s.t, s.rssMiB[name] ?? 0] as const),
      (max) => Math.max(5, 0.05 * max),
    ),
  );
  const redis = (['state', 'cache'] as const).flatMap((role) => [
    trend(
      `${role} Redis used_memory`,
      'MiB',
      samples.map((s) => [s.t, s.redis[role].usedMemoryMiB] as const),
      (max) => Math.max(2, 0.05 * max),
    ),
    trend(
      `${role} Redis keys`,
      'keys',
      samples.map((s) => [s.t, s.redis[role].keys] as const),
      (max) => Math.max(20, 0.05 * max),
    ),
  ]);
  const families: FamilyRow[] = [];
  for (const role of ['state', 'cache'] as const) {
    const names = new Set(samples.flatMap((s) => Object.keys(s.redis[role].families)));
    for (const family of [...names].sort()) {
      const series = samples.map(
        (s) => s.redis[role].families[family] ?? { keys: 0, noTtl: 0, noTtlElements: 0 },
      );
      const first = series[0] as (typeof series)[number];
      const last = series.at(-1) as (typeof series)[number];
      const everNoTtl = series.some((f) => f.noTtl > 0);
      const elements = trend(
        family,
        'keys',
        samples.map((s, i) => [s.t, (series[i]?.noTtlElements ?? 0) + (series[i]?.noTtl ?? 0)] as const),
        (max) => Math.max(10, 0.05 * max),
      );
      const known = boundOf(family);
      const lastElements = last.noTtlElements + last.noTtl;
      let verdict: FamilyRow['verdict'] = 'ttl';
      if (everNoTtl && known) {
        // A declared cap must hold (MAXLEN ~ may overshoot a little).
        verdict =
          known.maxElements !== undefined && lastElements > 1.1 * known.maxElements
            ? 'no ttl, GROWING'
            : 'no ttl, bounded';
      } else if (everNoTtl) {
        verdict = elements.growing ? 'no ttl, GROWING' : 'no ttl, flat';
      }
      families.push({
        role,
        family,
        keysFirst: first.keys,
        keysLast: last.keys,
        keysMax: Math.max(...series.map((f) => f.keys)),
        noTtlLast: last.noTtl,
        noTtlElementsFirst: first.noTtlElements,
        noTtlElementsLast: last.noTtlElements,
        verdict,
        ...(everNoTtl && known ? { bound: known.bound } : {}),
      });
    }
  }
  const all = samples.flatMap((s) => [s.loadAverage]);
  const flags = [
    ...processes
      .filter((p) => p.growing)
      .map(
        (p) =>
          `${p.name}: its floor rose from ${p.floorEarly} to ${p.floorLate} MiB (second to last quarter)`,
      ),
    ...families
      .filter((f) => f.verdict === 'no ttl, GROWING')
      .map(
        (f) =>
          `${f.role} Redis ${f.family}: keys without a TTL kept growing (${f.noTtlElementsFirst} → ${f.noTtlElementsLast} elements) with no known bound`,
      ),
  ];
  return {
    requests: samples.reduce((s, x) => s + x.requests.total, 0),
    failed: samples.reduce((s, x) => s + x.requests.failed, 0),
    loadAverage: {
      min: Math.min(...all),
      max: Math.max(...all),
      mean: Math.round((all.reduce((s, x) => s + x, 0) / Math.max(1, all.length)) * 100) / 100,
    },
    processes,
    redis,
    families,
    flags,
  };
}
