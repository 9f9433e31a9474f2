import type { Keyspace, RedisClient } from '@redwire/redis-kit';
import type { Registry } from 'prom-client';
import type { ValueCheck } from './cache-envelope';
import type { CacheGateState, CacheMetrics } from './cache-metrics';

/** What `load` returns for an id that exists: the value and its version (a positive integer). */
export interface Loaded<V> {
  readonly value: V;
  /**
   * The value's version, bumped by every write (a row version, a counter); a positive safe integer. The
   * cache orders fills and invalidations by it, so it must never go backwards for an id. A delete's
   * invalidation carries the deleted version + 1.
   */
  readonly version: number;
}

/** One write the recovery sweep replays: the id and the version the write made current. */
export interface RecentWrite {
  readonly id: string;
  readonly version: number;
}

/** The L1's invalidation feed: a Redis stream every instance reads from its own cursor (XREAD). */
export interface L1FanoutSource {
  /** A dedicated blocking connection (redis-kit `kind: 'blocking'`); the cache closes it on `close()`. */
  readonly connection: RedisClient;
  /** The stream key your writes publish their changes to (e.g. an outbox relay's stream). */
  readonly stream: string;
  /** The ids an entry invalidates (undefined or [] for entries about something else). */
  readonly idsOf: (fields: Readonly<Record<string, string>>) => string | readonly string[] | undefined;
}

/** The optional in-process layer in front of Redis. */
export interface L1Options {
  /**
   * The staleness bound: a value is served at most this long after the read that produced it was issued,
   * even if this instance misses an invalidation. @default 1000
   */
  readonly ttlMs?: number;
  /** Entries kept (LRU beyond that). @default 10000 */
  readonly maxEntries?: number;
  /** Required: without a fan-out an instance would never hear of another instance's writes. */
  readonly fanout: L1FanoutSource;
}

/** The redis-kit circuit breaker in front of read and fill commands. */
export interface CacheBreakerOptions {
  /** The `name` label of `redwire_circuit_breaker_state`. @default `<name>-cache` */
  readonly name?: string;
  /** Open when ≥ 50 % of at least this many calls in the window failed. @default 5 */
  readonly minimumCalls?: number;
  /** The rolling window, in ms (5 buckets). @default 5000 */
  readonly windowMs?: number;
  /** How long it stays open before its half-open probe, in ms. @default 1000 */
  readonly openDurationMs?: number;
  /** Registers the breaker's state gauge here. @default none */
  readonly registry?: Registry;
}

/** Options of {@link EntityCache}; every duration in milliseconds. */
export type EntityCacheOptions<V> = ValueCheck<V> & {
  /** The entity name: the key segment after the keyspace prefix (`product` → `cache:product:{<id>}:v1`). Required. */
  readonly name: string;
  /**
   * The cache Redis, a request-path client (standalone or Cluster): fail fast, no offline queue, a
   * commandTimeout (redis-kit `createRedisClient({ kind: 'request' })`). Owned by the caller. Required.
   */
  readonly redis: RedisClient;
  /**
   * Reads the source of truth: the value and its version, or null/undefined when `id` does not exist
   * (stored as a negative entry). Whatever it throws reaches the caller of `get`. Required.
   */
  readonly load: (id: string) => Promise<Loaded<V> | null | undefined>;
  /** The owning service's key builder (prefix and namespace). @default new Keyspace({ service: 'cache' }) */
  readonly keyspace?: Keyspace;
  /** Version of V's shape, part of the entry key: bump it when the shape changes. @default 1 */
  readonly schemaVersion?: number;

  /** Fresh period of an entry (served as HIT), before jitter. @default 300000 */
  readonly ttlMs?: number;
  /** Jitter applied to ttlMs as a fraction (0.1 = ±10 %), so entries filled together expire apart. @default 0.1 */
  readonly ttlJitter?: number;
  /**
   * Grace after the fresh period: the entry may still be answered STALE while one caller refreshes it, or
   * while `load` fails (see staleIfError). The configured staleness bound. @default 60000
   */
  readonly staleMs?: number;
  /** Hard cap on any entry's lifetime, grace included. @default 3600000 */
  readonly maxTtlMs?: number;
  /** Lifetime of a negative entry (an id `load` did not find). @default 5000 */
  readonly negativeTtlMs?: number;
  /**
   * Fill lease: others wait this long for the holder's entry before one of them may take over. Keep it
   * above the longest `load` (your database statement timeout), so a fill cannot outlive its lease.
   * @default 2000
   */
  readonly leaseTtlMs?: number;
  /** Extra time a waiter allows beyond the lease before loading itself. @default 100 */
  readonly waitMarginMs?: number;
  /** Lifetime of the floor (tombstone) an invalidation leaves; at least leaseTtlMs. @default 30000 */
  readonly floorTtlMs?: number;
  /** Budget of a write's synchronous invalidation; beyond it the write still returns and the gate fences. @default 250 */
  readonly invalidationBudgetMs?: number;
  /**
   * Largest stored value in bytes (redis-kit's codec cap): a larger value is returned but not cached
   * (fill outcome `too_large`). @default 65536
   */
  readonly maxValueBytes?: number;
  /**
   * Single node: most reads of one event-loop turn coalesced into one MGET; 1 = one GET each. A Cluster
   * always sends one GET per read. @default 16
   */
  readonly maxReadBatch?: number;
  /**
   * Which `load` errors may be answered with a past-fresh entry (STALE) when one exists; others reach the
   * caller. @default every error
   */
  readonly staleIfError?: (error: unknown) => boolean;
  /** The optional in-process L1 (needs a fan-out stream). @default none */
  readonly l1?: L1Options;

  /** Consecutive failed read/fill calls that fence the gate before the breaker's window would. @default 3 */
  readonly failAfter?: number;
  /** The breaker in front of read and fill commands. @default see CacheBreakerOptions */
  readonly breaker?: CacheBreakerOptions;
  /** Interval of the gate's probe (a PING through the breaker), which detects outages and drives recovery. @default 500 */
  readonly probeIntervalMs?: number;
  /**
   * The recovery sweep's source: every write committed since `since` (e.g. read from an outbox table).
   * The gate replays them as invalidations at start-up and after every cache outage before it serves from
   * the cache again. Without it only the invalidations this process saw fail are replayed, so a write made
   * by another process (or by this one before a restart) whose invalidation failed can stay hidden until
   * its entry expires (at most maxTtlMs). @default none
   */
  readonly writesSince?: (since: Date) => Promise<Iterable<RecentWrite>>;
  /** How far before the last successful Redis command the sweep looks (longest write transaction + clock skew). @default 15000 */
  readonly sweepMarginMs?: number;
  /**
   * An event-loop delay at or above this means a timeout says nothing about Redis (our own process
   * stalled), so it does not count toward fencing. @default half the client's commandTimeout, else 50
   */
  readonly stallThresholdMs?: number;

  /** Events for metrics; {@link createCacheMetrics} binds them to Prometheus. @default none */
  readonly metrics?: CacheMetrics;
  /** Told about every gate state change (logs). @default nothing */
  readonly onStateChange?: (state: CacheGateState, reason: string) => void;
  /** Receives errors the cache survives (the L1 fan-out's). @default ignore */
  readonly onError?: (error: unknown) => void;
};

/** The numeric options with their defaults. */
const DEFAULTS = {
  schemaVersion: 1,
  ttlMs: 300_000,
  ttlJitter: 0.1,
  staleMs: 60_000,
  maxTtlMs: 3_600_000,
  negativeTtlMs: 5_000,
  leaseTtlMs: 2_000,
  waitMarginMs: 100,
  floorTtlMs: 30_000,
  invalidationBudgetMs: 250,
  maxValueBytes: 65_536,
  maxReadBatch: 16,
  failAfter: 3,
  probeIntervalMs: 500,
  sweepMarginMs: 15_000,
} as const;

type Numeric = { -readonly [K in keyof typeof DEFAULTS]: number };

/** The options after defaults, as the cache uses them. */
export interface ResolvedEntityCacheOptions<V> extends Readonly<Numeric> {
  readonly name: string;
  readonly check: ValueCheck<V>;
  readonly stallThresholdMs: number;
  readonly l1:
    | { readonly ttlMs: number; readonly maxEntries: number; readonly fanout: L1FanoutSource }
    | undefined;
  readonly breaker: Required<Omit<CacheBreakerOptions, 'registry'>> & { readonly registry?: Registry };
}

/** Checks durations and counts: positive safe integers. Throws one RangeError listing every problem. */
export function checkDurations(component: string, values: Record<string, number>): void {
  const problems = Object.entries(values)
    .filter(([, value]) => !Number.isSafeInteger(value) || value < 1)
    .map(([key]) => `${key} must be a positive integer`);
  if (problems.length > 0) throw new RangeError(`invalid ${component} options: ${problems.join('; ')}`);
}

/** The client's commandTimeout, if it has one (ioredis keeps it on `options`, a Cluster on `redisOptions`). */
function commandTimeoutOf(client: RedisClient | undefined): number | undefined {
  const options = client?.options as
    | { commandTimeout?: number; redisOptions?: { commandTimeout?: number } }
    | undefined;
  return options?.commandTimeout ?? options?.redisOptions?.commandTimeout;
}

/** Applies defaults and rejects impossible combinations, listing every problem at once. */
export function resolveEntityCacheOptions<V>(options: EntityCacheOptions<V>): ResolvedEntityCacheOptions<V> {
  const problems: string[] = [];
  if (typeof options.name !== 'string' || options.name.length === 0) problems.push('name is required');
  if (!options.redis || typeof options.redis.get !== 'function')
    problems.push('redis must be an ioredis client');
  if (typeof options.load !== 'function') problems.push('load must be a function');
  const hasSchema = options.schema !== undefined;
  const hasGuard = options.guard !== undefined;
  if (hasSchema === hasGuard) problems.push('give exactly one of schema (zod) or guard (a function)');
  else if (hasGuard && typeof options.guard !== 'function') problems.push('guard must be a function');
  else if (hasSchema && typeof (options.schema as { safeParse?: unknown }).safeParse !== 'function')
    problems.push('schema must be a zod schema');

  const numeric = { ...DEFAULTS } as Numeric;
  for (const key of Object.keys(DEFAULTS) as (keyof Numeric)[]) {
    const value = options[key];
    if (value !== undefined) numeric[key] = value;
    if (key === 'ttlJitter') continue;
    if (!Number.isSafeInteger(numeric[key]) || numeric[key] < 1)
      problems.push(`${key} must be a positive integer`);
  }
  if (!(numeric.ttlJitter >= 0 && numeric.ttlJitter < 1)) problems.push('ttlJitter must be in [0, 1)');
  if (numeric.ttlMs > numeric.maxTtlMs) problems.push('ttlMs must not exceed maxTtlMs');
  if (numeric.negativeTtlMs > numeric.maxTtlMs) problems.push('negativeTtlMs must not exceed maxTtlMs');
  if (numeric.floorTtlMs < numeric.leaseTtlMs) problems.push('floorTtlMs must be at least leaseTtlMs');
  if (numeric.maxReadBatch > 1024) problems.push('maxReadBatch must be at most 1024');

  const stallThresholdMs =
    options.stallThresholdMs ?? Math.max(1, Math.floor((commandTimeoutOf(options.redis) ?? 100) / 2));
  if (!Number.isSafeInteger(stallThresholdMs) || stallThresholdMs < 1)
    problems.push('stallThresholdMs must be a positive integer');

  let l1: ResolvedEntityCacheOptions<V>['l1'];
  if (options.l1) {
    const ttlMs = options.l1.ttlMs ?? 1000;
    const maxEntries = options.l1.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) problems.push('l1.ttlMs must be a positive integer');
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1)
      problems.push('l1.maxEntries must be a positive integer');
    const fanout = options.l1.fanout;
    if (!fanout?.connection || typeof fanout.stream !== 'string' || typeof fanout.idsOf !== 'function')
      problems.push('l1.fanout needs a connection, a stream key and idsOf');
    l1 = { ttlMs, maxEntries, fanout };
  }

  const breaker = {
    name: options.breaker?.name ?? `${options.name}-cache`,
    minimumCalls: options.breaker?.minimumCalls ?? 5,
    windowMs: options.breaker?.windowMs ?? 5000,
    openDurationMs: options.breaker?.openDurationMs ?? 1000,
    ...(options.breaker?.registry ? { registry: options.breaker.registry } : {}),
  };
  for (const key of ['minimumCalls', 'windowMs', 'openDurationMs'] as const) {
    if (!Number.isSafeInteger(breaker[key]) || breaker[key] < 1)
      problems.push(`breaker.${key} must be a positive integer`);
  }
  if (breaker.windowMs % 5 !== 0) problems.push('breaker.windowMs must be a multiple of 5');

  if (problems.length > 0) throw new RangeError(`invalid EntityCache options: ${problems.join('; ')}`);
  const check = (hasSchema ? { schema: options.schema } : { guard: options.guard }) as ValueCheck<V>;
  return Object.freeze({ ...numeric, name: options.name, check, stallThresholdMs, l1, breaker });
}
