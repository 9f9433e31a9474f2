import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { runOutsideDeadline } from '@redwire/deadline';
import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import type { User } from '../users/user.model';
import {
  type CacheResult,
  type InvalidationPath,
  noopCacheMetrics,
  type UserCacheMetrics,
} from './cache.metrics';
import { type CacheEnvelope, decodeEnvelope, encodeEnvelopeData } from './cache-envelope';
import type { CacheAvailability } from './cache-gate';
import { CacheInvalidator, type InvalidationOutcome } from './cache-invalidator';
import { FlightCoalescer } from './flight-coalescer';
import type { L1Cache } from './l1-cache';
import { type ResolvedCacheOptions, resolveCacheOptions, type UserCacheOptions } from './user-cache.options';
import type { FillTtls, UserCacheStore } from './user-cache.store';

/** The answer to a read: the user (undefined = no such user) and how the cache answered. */
export interface CacheRead {
  readonly user: User | undefined;
  readonly cache: CacheResult;
}

/** Dependencies of {@link UserCache}. */
export interface UserCacheDeps {
  readonly store: UserCacheStore;
  /** Reads the row from the primary; throws DatabaseUnavailableError when PostgreSQL cannot answer. */
  readonly load: (id: string) => Promise<User | undefined>;
  readonly availability: CacheAvailability;
  /** The optional in-process layer. @default none */
  readonly l1?: L1Cache | undefined;
  /** @default no metrics */
  readonly metrics?: UserCacheMetrics;
}

/**
 * Cache-aside for user profiles: L1 (optional) → Redis GET → lease-guarded fill from PostgreSQL.
 *
 * Guarantees (README "Consistency"): an entry is stored only by the holder of a lease granted after the
 * last invalidation, so a fill can never store data older than a write whose invalidation completed; a
 * request never receives a result read before it arrived (see FlightCoalescer); one PostgreSQL query per
 * cold key across all instances while the lease holder is alive.
 */
export class UserCache {
  readonly options: ResolvedCacheOptions;
  readonly #deps: Required<Omit<UserCacheDeps, 'l1'>> & { l1: L1Cache | undefined };
  readonly #fills = new FlightCoalescer<CacheRead>();
  readonly #bypassReads = new FlightCoalescer<CacheRead>();
  readonly #invalidator: CacheInvalidator;
  /** Leases granted to this instance that Redis failures kept it from filling or releasing (id → token). */
  readonly #orphans = new Map<string, string>();

  constructor(deps: UserCacheDeps, options: UserCacheOptions = {}) {
    this.options = resolveCacheOptions(options);
    this.#deps = { ...deps, l1: deps.l1, metrics: deps.metrics ?? noopCacheMetrics };
    this.#invalidator = new CacheInvalidator({
      store: deps.store,
      floorTtlMs: this.options.floorTtlMs,
      budgetMs: this.options.invalidationBudgetMs,
      run: (op) => deps.availability.invalidate(op),
      onUnconfirmed: () => deps.availability.trip('invalidation not confirmed within its budget'),
      metrics: this.#deps.metrics,
    });
  }

  /** Reads user `id` (a validated UUID) through the cache. Throws DatabaseUnavailableError → 503. */
  async read(id: string): Promise<CacheRead> {
    const { l1, availability, store, metrics } = this.#deps;
    const fromL1 = l1?.get(id);
    if (fromL1) {
      metrics.request('l1', 'hit');
      return { user: fromL1.user, cache: 'HIT' };
    }
    if (!availability.usable) return this.#bypass(id, 'bypass');

    const startedAt = l1?.now() ?? 0;
    let raw: string | null;
    try {
      raw = await availability.call(() => store.get(id));
    } catch {
      return this.#bypass(id, 'error');
    }
    if (raw !== null) {
      const envelope = decodeEnvelope(raw);
      if (envelope && envelope.freshUntil > Date.now()) return this.#hit(id, envelope, startedAt);
    }
    return this.#fills.run(id, () => this.#fill(id));
  }

  /**
   * Invalidates `id` after a write of `version`: the local L1 at once, then Redis within the budget
   * (attempted even while the gate is open: it is the correctness path; a failure fences the gate).
   * 'failed' means the outbox path will apply it; it never throws.
   */
  invalidate(
    id: string,
    version: number,
    context: { path: InvalidationPath; occurredAt?: string | undefined },
  ): Promise<InvalidationOutcome> {
    this.#deps.l1?.invalidate(id);
    return this.#invalidator.invalidate(id, version, context);
  }

  #hit(id: string, envelope: CacheEnvelope, readStartedAt: number): CacheRead {
    this.#deps.metrics.request('l2', 'hit');
    this.#remember(id, envelope.user, envelope.version, readStartedAt, envelope.freshUntil - Date.now());
    return { user: envelope.user, cache: 'HIT' };
  }

  #remember(
    id: string,
    user: User | undefined,
    version: number,
    readStartedAt: number,
    maxAgeMs: number,
  ): void {
    this.#deps.l1?.set(id, { user, version }, readStartedAt, maxAgeMs);
  }

  /** One flight: get the entry, or the lease and fill it, or wait for the lease holder's entry. */
  async #fill(id: string): Promise<CacheRead> {
    const { availability, store, l1 } = this.#deps;
    const deadline = Date.now() + this.options.leaseTtlMs + this.options.waitMarginMs;
    let mode: 'miss' | 'refresh' = 'miss';
    let stale: CacheEnvelope | undefined;
    for (let attempt = 0; ; attempt++) {
      if (!availability.usable) return this.#bypass(id, 'bypass');
      const token = randomBytes(12).toString('base64url');
      const startedAt = l1?.now() ?? 0;
      let reply: Awaited<ReturnType<UserCacheStore['readOrLease']>>;
      try {
        reply = await availability.call(() => store.readOrLease(id, token, this.options.leaseTtlMs, mode));
      } catch {
        return stale ? this.#stale(stale) : this.#bypass(id, 'error');
      }

      if (reply.kind === 'hit') {
        const envelope = decodeEnvelope(reply.raw);
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

  async #loadAndFill(id: string, token: string, stale: CacheEnvelope | undefined): Promise<CacheRead> {
    const { availability, store, metrics, load, l1 } = this.#deps;
    const startedAt = l1?.now() ?? 0;
    let user: User | undefined;
    try {
      user = await load(id);
    } catch (error) {
      // Let the next caller take the lease at once instead of waiting for it to expire.
      this.#giveBack(id, token);
      if (stale && error instanceof DatabaseUnavailableError) return this.#stale(stale);
      throw error;
    }
    const version = user?.version ?? 0;
    try {
      const outcome = await availability.call(() =>
        store.fill(id, token, version, encodeEnvelopeData(user), this.#ttls(user !== undefined)),
      );
      metrics.fill(outcome);
      if (outcome === 'stored') this.#remember(id, user, version, startedAt, Number.POSITIVE_INFINITY);
    } catch {
      // The value is still correct for this caller; only the cache did not get it (Redis failed, or the
      // request's deadline passed). Give the lease back rather than make readers wait out its TTL.
      this.#giveBack(id, token);
    }
    metrics.request('l2', 'miss');
    return { user, cache: 'MISS' };
  }

  /**
   * Gives back the leases this instance was granted but could not fill or release because Redis failed
   * (the recovery sweep calls it). Rejects if any could not be given back; those are kept for next time.
   */
  async releaseOrphanedLeases(): Promise<void> {
    const orphans = [...this.#orphans];
    const results = await Promise.allSettled(
      orphans.map(([id, token]) => this.#deps.store.release(id, token)),
    );
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
    const { availability, store } = this.#deps;
    void runOutsideDeadline(() => availability.call(() => store.release(id, token))).catch(() =>
      this.#orphan(id, token),
    );
  }

  #orphan(id: string, token: string): void {
    this.#orphans.delete(id);
    this.#orphans.set(id, token);
    // Bounded: beyond this many, the oldest are left to expire with their TTL.
    if (this.#orphans.size > MAX_ORPHANS) this.#orphans.delete(this.#orphans.keys().next().value as string);
  }

  #stale(envelope: CacheEnvelope): CacheRead {
    this.#deps.metrics.request('l2', 'stale');
    return { user: envelope.user, cache: 'STALE' };
  }

  /** Reads around the cache (Redis unusable): PostgreSQL only, one query per key per instance, no fill. */
  #bypass(id: string, reason: 'bypass' | 'error'): Promise<CacheRead> {
    this.#deps.metrics.request('l2', reason);
    return this.#bypassReads.run(id, async () => ({ user: await this.#deps.load(id), cache: 'BYPASS' }));
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
