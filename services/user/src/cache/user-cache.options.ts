/** Options of UserCache; every duration in milliseconds. */
export interface UserCacheOptions {
  /** Fresh period of an entry (served as HIT), before jitter. @default 300000 */
  ttlMs?: number;
  /** Jitter applied to ttlMs, as a fraction (0.1 = ±10 %), so entries filled together do not expire together. @default 0.1 */
  ttlJitter?: number;
  /** Hard cap on any entry's lifetime, grace included. @default 3600000 */
  maxTtlMs?: number;
  /**
   * Grace after the fresh period: the entry may still be answered STALE while one caller refreshes it or
   * while PostgreSQL is down (stale-if-error). This is the configured staleness bound. @default 60000
   */
  staleMs?: number;
  /** Lifetime of a negative entry (unknown id). @default 5000 */
  negativeTtlMs?: number;
  /**
   * Fill lease lifetime: others wait this long for the holder's entry before one of them may take over.
   * Keep it above the database statement timeout, so a fill cannot outlive its lease. @default 2000
   */
  leaseTtlMs?: number;
  /** Extra time a waiter allows beyond the lease before reading PostgreSQL itself. @default 100 */
  waitMarginMs?: number;
  /** Lifetime of the floor (tombstone) an invalidation leaves. @default 30000 */
  floorTtlMs?: number;
  /** Budget of the synchronous invalidation after a commit; beyond it the outbox path applies it. @default 250 */
  invalidationBudgetMs?: number;
}

export type ResolvedCacheOptions = Readonly<Required<UserCacheOptions>>;

const DEFAULTS: ResolvedCacheOptions = {
  ttlMs: 300_000,
  ttlJitter: 0.1,
  maxTtlMs: 3_600_000,
  staleMs: 60_000,
  negativeTtlMs: 5_000,
  leaseTtlMs: 2_000,
  waitMarginMs: 100,
  floorTtlMs: 30_000,
  invalidationBudgetMs: 250,
};

/** Applies defaults and rejects impossible combinations, listing every problem at once. */
export function resolveCacheOptions(options: UserCacheOptions): ResolvedCacheOptions {
  const o: Required<UserCacheOptions> = { ...DEFAULTS };
  for (const [key, value] of Object.entries(options) as [keyof UserCacheOptions, number | undefined][]) {
    if (value !== undefined) o[key] = value;
  }
  const problems: string[] = [];
  for (const key of Object.keys(DEFAULTS) as (keyof UserCacheOptions)[]) {
    if (key === 'ttlJitter') continue;
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) problems.push(`${key} must be a positive integer`);
  }
  if (!(o.ttlJitter >= 0 && o.ttlJitter < 1)) problems.push('ttlJitter must be in [0, 1)');
  if (o.ttlMs > o.maxTtlMs) problems.push('ttlMs must not exceed maxTtlMs');
  if (o.negativeTtlMs > o.maxTtlMs) problems.push('negativeTtlMs must not exceed maxTtlMs');
  if (o.floorTtlMs < o.leaseTtlMs) problems.push('floorTtlMs must be at least leaseTtlMs');
  if (problems.length > 0) throw new RangeError(`invalid UserCache options: ${problems.join('; ')}`);
  return Object.freeze(o);
}
