import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runOutsideDeadline, runWithReserve } from '@redwire/deadline';
import {
  CircuitBreaker,
  isRedisUnavailableError,
  type StreamFanoutReader,
  ValueTooLargeError,
} from '@redwire/redis-kit';
import { type CacheEnvelope, EnvelopeCodec } from './cache-envelope';
import { CacheGate } from './cache-gate';
import { type InvalidationContext, type InvalidationRunner, runInvalidation } from './cache-invalidator';
import { CacheKeys } from './cache-keys';
import {
  type CacheGateState,
  type CacheMetrics,
  type CacheStatus,
  type InvalidationOutcome,
  noopCacheMetrics,
} from './cache-metrics';
import { CacheStore, type FillTtls, type LeaseReply } from './cache-store';
import {
  type EntityCacheOptions,
  type Loaded,
  type ResolvedEntityCacheOptions,
  resolveEntityCacheOptions,
} from './entity-cache.options';
import { FlightCoalescer } from './flight-coalescer';
import { L1Cache } from './l1-cache';
import { startL1Fanout } from './l1-fanout';
import { LoopLagMonitor } from './loop-lag-monitor';
import { RecoverySweep } from './recovery-sweep';

/** The answer to a read: the value (undefined = no such id), its version (0 when absent) and how it was answered. */
export interface CacheRead<V> {
  readonly value: V | undefined;
  readonly version: number;
  readonly status: CacheStatus;
}

/** What a write committed: the id and the version it made current (a delete: the deleted version + 1). */
export interface CommittedWrite {
  readonly id: string;
  readonly version: number;
  /** When it committed (ISO-8601), for the invalidation lag metric. @default none */
  readonly occurredAt?: string | undefined;
}

/**
 * Cache-aside for versioned values: L1 (optional) → Redis GET → lease-guarded fill from `load`.
 *
 * Guarantees (README "Consistency"): an entry is stored only by the holder of a lease granted after the
 * last invalidation, so a fill can never store a value older than a write whose invalidation completed; a
 * read never receives a result loaded before it began (FlightCoalescer); one `load` per cold id across
 * all instances while the lease holder is alive; after a Redis outage, nothing is served from the cache
 * until the recovery sweep has replayed the writes it may have missed.
 */
export class EntityCache<V> {
  readonly options: ResolvedEntityCacheOptions<V>;
  /** The key layout (for operations and tests). */
  readonly keys: CacheKeys;
  readonly #load: EntityCacheOptions<V>['load'];
  readonly #staleIfError: (error: unknown) => boolean;
  readonly #store: CacheStore;
  readonly #codec: EnvelopeCodec<V>;
  readonly #gate: CacheGate;
  readonly #breaker: CircuitBreaker;
  readonly #loopLag = new LoopLagMonitor();
  readonly #l1: L1Cache<V> | undefined;
  readonly #metrics: CacheMetrics;
  readonly #onError: ((error: unknown) => void) | undefined;
  readonly #redis: EntityCacheOptions<V>['redis'];
  readonly #fills = new FlightCoalescer<CacheRead<V>>();
  readonly #bypassReads = new FlightCoalescer<CacheRead<V>>();
  readonly #invalidation: InvalidationRunner;
  readonly #sweep: RecoverySweep;
  /** Leases granted to this instance that Redis failures kept it from filling or releasing (id → token). */
  readonly #orphans = new Map<string, string>();
  readonly #onClose = () => this.#gate.trip('cache connection closed');
  #fanout: StreamFanoutReader | undefined;
  #started = false;

  constructor(options: EntityCacheOptions<V>) {
    const o = resolveEntityCacheOptions(options);
    this.options = o;
    this.#load = options.load;
    this.#staleIfError = options.staleIfError ?? (() => true);
    this.#redis = options.redis;
    this.#metrics = options.metrics ?? noopCacheMetrics;
    this.#onError = options.onError;
    this.keys = new CacheKeys({ name: o.name, keyspace: options.keyspace, schemaVersion: o.schemaVersion });
    this.#store = new CacheStore(options.redis, this.keys, { maxReadBatch: o.maxReadBatch });
    this.#codec = new EnvelopeCodec({
      schemaVersion: o.schemaVersion,
      check: o.check,
      maxValueBytes: o.maxValueBytes,
    });
    this.#l1 = o.l1 ? new L1Cache<V>({ ttlMs: o.l1.ttlMs, maxEntries: o.l1.maxEntries }) : undefined;

    // A timeout while our own event loop stalls is not Redis's failure (see LoopLagMonitor).
    const isLocalStall = () => this.#loopLag.recentMaxMs() >= o.stallThresholdMs;
    this.#breaker = new CircuitBreaker({
      name: o.breaker.name,
      isFailure: (error) => isRedisUnavailableError(error) && !isLocalStall(),
      minimumCalls: o.breaker.minimumCalls,
      windowMs: o.breaker.windowMs,
      windowBuckets: 5,
      openDurationMs: o.breaker.openDurationMs,
      ...(o.breaker.registry ? { registry: o.breaker.registry } : {}),
    });
    this.#sweep = new RecoverySweep({
      writesSince: options.writesSince,
      invalidate: (id, version) => this.invalidate(id, version, { path: 'sweep' }),
      releaseOrphanedLeases: () => this.#releaseOrphanedLeases(),
    });
    const onStateChange = options.onStateChange;
    this.#gate = new CacheGate(
      {
        breaker: this.#breaker,
        isLocalStall,
        probe: () => options.redis.ping(),
        sweep: (since) => this.#sweep.run(since),
        onStateChange: (state, reason) => {
          this.#metrics.gateState(state);
          onStateChange?.(state, reason);
        },
      },
      {
        consecutiveFailures: o.failAfter,
        probeIntervalMs: o.probeIntervalMs,
        sweepMarginMs: o.sweepMarginMs,
      },
    );
    this.#invalidation = {
      store: this.#store,
      floorTtlMs: o.floorTtlMs,
      budgetMs: o.invalidationBudgetMs,
      metrics: this.#metrics,
      run: (op) => this.#gate.invalidate(op),
      onUnconfirmed: () => this.#gate.trip('invalidation not confirmed within its budget'),
    };
  }

  /**
   * Starts the gate (its first probe runs the start-up sweep: a new process cannot know what it missed)
   * and the L1 fan-out. Until the sweep has run, reads go around the cache (`BYPASS`).
   */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#redis.on('close', this.#onClose);
    this.#loopLag.start();
    this.#gate.start();
    if (this.#l1 && this.options.l1)
      this.#fanout = await startL1Fanout(this.options.l1.fanout, this.#l1, this.#onError);
  }

  /** Resolves once reads use the cache (after the start-up sweep), or rejects after `timeoutMs`. */
  ready(timeoutMs: number): Promise<void> {
    return this.#gate.whenUsable(timeoutMs);
  }

  /** The gate: `closed` = the cache serves; `open` = reads go around it; `recovering` = the sweep runs. */
  get state(): CacheGateState {
    return this.#gate.state;
  }

  /** Stops the probe loop and the fan-out (closing its connection). The Redis client stays the caller's. */
  async close(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    await this.#gate.stop();
    this.#loopLag.stop();
    await this.#fanout?.close();
    this.#fanout = undefined;
    this.#redis.off('close', this.#onClose);
    this.#breaker.shutdown();
  }

  /** Reads `id` through the cache. Rejects with what `load` threw when it had to load and could not. */
  async get(id: string): Promise<CacheRead<V>> {
    const l1 = this.#l1;
    const fromL1 = l1?.get(id);
    if (fromL1) {
      this.#metrics.request('l1', 'hit');
      return { value: fromL1.value, version: fromL1.version, status: 'HIT' };
    }
    const gate = this.#gate;
    if (!gate.usable) return this.#bypass(id, 'bypass');

    const startedAt = l1?.now() ?? 0;
    let raw: string | null;
    try {
      raw = await gate.call(() => this.#store.get(id));
    } catch {
      return this.#bypass(id, 'error');
    }
    if (raw !== null) {
      const envelope = this.#codec.decode(raw);
      if (envelope && envelope.freshUntil > Date.now()) return this.#hit(id, envelope, startedAt);
    }
    return this.#fills.run(id, () => this.#fill(id));
  }

  /**
   * Reads several ids, each as `get` does (same guarantees, answers in the order of `ids`). On a single
   * node their GETs leave together as MGETs of at most `maxReadBatch` keys.
   */
  getMany(ids: readonly string[]): Promise<CacheRead<V>[]> {
    return Promise.all(ids.map((id) => this.get(id)));
  }

  /**
   * Invalidates `id` after a write of `version` (0 = unconditionally): the local L1 at once, then Redis
   * within `invalidationBudgetMs` (attempted even while the gate is open: it is the correctness path).
   * 'failed' fences this instance's gate and is replayed by the next recovery sweep; it never rejects on a
   * Redis failure.
   */
  async invalidate(
    id: string,
    version: number,
    context: InvalidationContext = {},
  ): Promise<InvalidationOutcome> {
    this.#l1?.invalidate(id);
    const outcome = await runInvalidation(
      this.#invalidation,
      id,
      version,
      context.path ?? 'sync',
      context.occurredAt,
    );
    if (outcome === 'failed') this.#sweep.rememberFailed(id, version);
    return outcome;
  }

  /**
   * A write with read-your-writes: runs `transaction` so that it ends `invalidationBudgetMs` before the
   * current request's deadline (`@redwire/deadline`), asks `committed` what it committed, and invalidates
   * that before returning, on its own budget outside the request's deadline, so a committed write is never
   * left uninvalidated because the request ran out of time. `committed` returning undefined (nothing
   * written) skips the invalidation; its throwing does too, and rejects.
   */
  async write<R>(
    transaction: () => Promise<R>,
    committed: (result: R) => CommittedWrite | undefined | Promise<CommittedWrite | undefined>,
  ): Promise<R> {
    const result = await runWithReserve(this.options.invalidationBudgetMs, transaction);
    const write = await committed(result);
    if (write) {
      await runOutsideDeadline(() =>
        this.invalidate(write.id, write.version, { path: 'sync', occurredAt: write.occurredAt }),
      );
    }
    return result;
  }

  #hit(id: string, envelope: CacheEnvelope<V>, readStartedAt: number): CacheRead<V> {
    this.#metrics.request('l2', 'hit');
    this.#l1?.set(id, envelope, readStartedAt, envelope.freshUntil - Date.now());
    return { value: envelope.value, version: envelope.version, status: 'HIT' };
  }

  /** One flight: get the entry, or the lease and fill it, or wait for the lease holder's entry. */
  async #fill(id: string): Promise<CacheRead<V>> {
    const { leaseTtlMs, waitMarginMs } = this.options;
    const gate = this.#gate;
    const deadline = Date.now() + leaseTtlMs + waitMarginMs;
    let mode: 'miss' | 'refresh' = 'miss';
    let stale: CacheEnvelope<V> | undefined;
    for (let attempt = 0; ; attempt++) {
      if (!gate.usable) return this.#bypass(id, 'bypass');
      const token = randomBytes(12).toString('base64url');
      const startedAt = this.#l1?.now() ?? 0;
      let reply: LeaseReply;
      try {
        reply = await gate.call(() => this.#store.readOrLease(id, token, leaseTtlMs, mode));
      } catch {
        return stale ? this.#stale(stale) : this.#bypass(id, 'error');
      }

      if (reply.kind === 'hit') {
        const envelope = this.#codec.decode(reply.raw);
        if (envelope && envelope.freshUntil > Date.now()) return this.#hit(id, envelope, startedAt);
        // Past its fresh time (or unreadable): refresh it; a STALE answer is allowed while another refreshes.
        if (envelope) stale = envelope;
        mode = 'refresh';
        continue;
      }
      if (reply.kind === 'wait') {
        if (stale) return this.#stale(stale);
        const left = deadline - Date.now();
        if (left <= 0) return this.#bypass(id, 'bypass');
        await sleep(Math.min(waitStepMs(attempt), reply.leaseTtlLeftMs, left));
        continue;
      }
      return this.#loadAndFill(id, reply.token, stale);
    }
  }

  async #loadAndFill(id: string, token: string, stale: CacheEnvelope<V> | undefined): Promise<CacheRead<V>> {
    const startedAt = this.#l1?.now() ?? 0;
    let loaded: Loaded<V> | undefined;
    try {
      loaded = checkLoaded(await this.#load(id), id);
    } catch (error) {
      // Let the next caller take the lease at once instead of waiting for it to expire.
      this.#giveBack(id, token);
      if (stale && this.#staleIfError(error)) return this.#stale(stale);
      throw error;
    }
    const version = loaded?.version ?? 0;
    let value = loaded?.value;
    let stored: string;
    try {
      ({ stored, value } = this.#codec.encodeValue(value, version));
    } catch (error) {
      // The value is the source's: answer it, but never cache what the cache's own check or cap refuses.
      this.#metrics.fill(error instanceof ValueTooLargeError ? 'too_large' : 'invalid');
      this.#giveBack(id, token);
      this.#metrics.request('l2', 'miss');
      return { value, version, status: 'MISS' };
    }
    try {
      const ttls = this.#ttls(loaded !== undefined);
      const outcome = await this.#gate.call(() => this.#store.fill(id, token, version, stored, ttls));
      this.#metrics.fill(outcome);
      if (outcome === 'stored') this.#l1?.set(id, { value, version }, startedAt);
    } catch {
      // The value is still correct for this caller; only the cache did not get it (Redis failed, or the
      // request's deadline passed). Give the lease back rather than make readers wait out its TTL.
      this.#giveBack(id, token);
    }
    this.#metrics.request('l2', 'miss');
    return { value, version, status: 'MISS' };
  }

  /**
   * Gives back the leases this instance was granted but could not fill or release because Redis failed
   * (the recovery sweep calls it). Rejects if any could not be given back; those are kept for next time.
   */
  async #releaseOrphanedLeases(): Promise<void> {
    const orphans = [...this.#orphans];
    const results = await Promise.allSettled(orphans.map(([id, token]) => this.#store.release(id, token)));
    results.forEach((result, i) => {
      const [id, token] = orphans[i] as [string, string];
      if (result.status === 'fulfilled' && this.#orphans.get(id) === token) this.#orphans.delete(id);
    });
    if (results.some((r) => r.status === 'rejected'))
      throw new Error('could not release every orphaned lease');
  }

  /**
   * Releases a lease this instance will not fill, outside the request's deadline (which may be what just
   * ran out); if Redis cannot take it, it is remembered for recovery to give back.
   */
  #giveBack(id: string, token: string): void {
    void runOutsideDeadline(() => this.#gate.call(() => this.#store.release(id, token))).catch(() =>
      this.#orphan(id, token),
    );
  }

  #orphan(id: string, token: string): void {
    this.#orphans.delete(id);
    this.#orphans.set(id, token);
    // Bounded: beyond this many, the oldest are left to expire with their TTL.
    if (this.#orphans.size > MAX_ORPHANS) this.#orphans.delete(this.#orphans.keys().next().value as string);
  }

  #stale(envelope: CacheEnvelope<V>): CacheRead<V> {
    this.#metrics.request('l2', 'stale');
    return { value: envelope.value, version: envelope.version, status: 'STALE' };
  }

  /** Reads around the cache (Redis unusable): `load` only, one call per id per instance, no fill. */
  #bypass(id: string, reason: 'bypass' | 'error'): Promise<CacheRead<V>> {
    this.#metrics.request('l2', reason);
    return this.#bypassReads.run(id, async () => {
      const loaded = checkLoaded(await this.#load(id), id);
      return { value: loaded?.value, version: loaded?.version ?? 0, status: 'BYPASS' };
    });
  }

  #ttls(positive: boolean): FillTtls {
    const o = this.options;
    if (!positive) return { freshMs: o.negativeTtlMs, lifetimeMs: o.negativeTtlMs };
    const jitter = 1 + (Math.random() * 2 - 1) * o.ttlJitter;
    const freshMs = Math.max(1, Math.min(Math.round(o.ttlMs * jitter), o.maxTtlMs));
    return { freshMs, lifetimeMs: Math.min(freshMs + o.staleMs, o.maxTtlMs) };
  }
}

/** Orphaned leases remembered for release after an outage. */
const MAX_ORPHANS = 10_000;

/** Poll interval while another caller holds the lease: 5 ms growing to 50 ms, with jitter. */
function waitStepMs(attempt: number): number {
  const base = Math.min(5 * 1.5 ** attempt, 50);
  return Math.max(1, Math.round(base * (0.5 + Math.random() * 0.5)));
}

/** `load`'s answer, checked: versions order fills and invalidations, so a bad one is a bug, said loudly. */
function checkLoaded<V>(loaded: Loaded<V> | null | undefined, id: string): Loaded<V> | undefined {
  if (loaded === null || loaded === undefined) return undefined;
  if (!Number.isSafeInteger(loaded.version) || loaded.version < 1)
    throw new TypeError(
      `load(${JSON.stringify(id)}) returned version ${loaded.version}: versions are positive integers`,
    );
  return loaded;
}
