import { BoundCounter, type CounterChild } from '@redwire/observability';
import { withDeadline } from '@redwire/redis-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CacheLookupResult, CacheTier, UserCacheMetrics } from './cache/cache.metrics';
import type { CacheGateState } from './cache/cache-gate';

/** Seconds from commit to invalidation: sub-millisecond (sync) up to the outbox's worst case. */
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The user service's own series (API.md "Operations"), registered on the service registry. */
export interface UserMetrics {
  readonly cache: UserCacheMetrics;
  /** Set the breaker (cache gate) state gauge: 1 for the current state, 0 for the others. */
  gateState(state: CacheGateState): void;
  /** One PostgreSQL statement issued by the repository (what the "one DB query" tests count). */
  dbQuery(operation: string): void;
}

/** Creates the user service metrics on `registry`. */
export function createUserMetrics(registry: Registry): UserMetrics {
  const registers = [registry];
  // Counted on every read: bound children (a labelled prom-client inc hashes its labels on every call).
  const requests = new BoundCounter({
    name: 'redwire_user_cache_requests_total',
    help: 'User cache lookups by tier (l1, l2) and result (hit, miss, stale, bypass, error).',
    labelNames: ['tier', 'result'] as const,
    registers,
  });
  const tiers: readonly CacheTier[] = ['l1', 'l2'];
  const results: readonly CacheLookupResult[] = ['hit', 'miss', 'stale', 'bypass', 'error'];
  const requestChildren = Object.fromEntries(
    tiers.map((tier) => [
      tier,
      Object.fromEntries(results.map((result) => [result, requests.bind({ tier, result })])),
    ]),
  ) as Record<CacheTier, Record<CacheLookupResult, CounterChild>>;
  const fills = new Counter({
    name: 'redwire_user_cache_fills_total',
    help: 'Cache fills by outcome: stored, lease_lost (an invalidation or takeover won), version_rejected.',
    labelNames: ['outcome'] as const,
    registers,
  });
  const invalidations = new Counter({
    name: 'redwire_user_cache_invalidations_total',
    help: 'Cache invalidations by path (sync, event, job, sweep) and outcome (invalidated, skipped, failed).',
    labelNames: ['path', 'outcome'] as const,
    registers,
  });
  const lag = new Histogram({
    name: 'redwire_user_cache_invalidation_lag_seconds',
    help: 'Seconds from a write (its outbox timestamp) to its cache invalidation being applied, by path.',
    labelNames: ['path'] as const,
    buckets: LAG_BUCKETS,
    registers,
  });
  const gate = new Gauge({
    name: 'redwire_user_cache_breaker_state',
    help: 'Cache Redis breaker: 1 for the current state (closed, open, recovering), 0 otherwise.',
    labelNames: ['state'] as const,
    registers,
  });
  const queries = new Counter({
    name: 'redwire_user_db_queries_total',
    help: 'PostgreSQL statements issued by the user repository, by operation.',
    labelNames: ['operation'] as const,
    registers,
  });
  const states: CacheGateState[] = ['closed', 'open', 'recovering'];
  return {
    cache: {
      request: (tier, result) => requestChildren[tier][result].inc(),
      fill: (outcome) => fills.inc({ outcome }),
      invalidation: (path, outcome) => invalidations.inc({ path, outcome }),
      invalidationLag: (path, seconds) => lag.observe({ path }, seconds),
    },
    gateState: (state) => {
      for (const s of states) gate.set({ state: s }, s === state ? 1 : 0);
    },
    dbQuery: (operation) => queries.inc({ operation }),
  };
}

/**
 * How long a scrape-time gauge waits for its source, whatever the client's own timeouts: past it the value
 * is NaN, so a slow dependency never makes /metrics slow (Prometheus gives up after 4 s).
 */
export const SCRAPE_DEADLINE_MS = 1000;

/** Sources of the backlog gauges, read on each scrape (each within {@link SCRAPE_DEADLINE_MS}). */
export interface BacklogSources {
  /** Outbox rows not yet published. */
  outboxBacklog: () => Promise<number>;
  /** Entries delivered to the `user-cache` group and not yet acknowledged. */
  streamPending: () => Promise<number>;
}

/**
 * `redwire_user_outbox_backlog` and `redwire_user_stream_pending`, computed at scrape time so every
 * instance reports the shared truth. A failing source reports NaN (unknown), not a stale number.
 */
export function registerBacklogGauges(registry: Registry, sources: BacklogSources): void {
  new Gauge({
    name: 'redwire_user_outbox_backlog',
    help: 'Outbox events committed but not yet published to the user-events stream.',
    registers: [registry],
    async collect() {
      this.set(await withDeadline(sources.outboxBacklog(), SCRAPE_DEADLINE_MS).catch(() => Number.NaN));
    },
  });
  new Gauge({
    name: 'redwire_user_stream_pending',
    help: 'user-events entries delivered to the user-cache consumer group and not yet acknowledged.',
    registers: [registry],
    async collect() {
      this.set(await withDeadline(sources.streamPending(), SCRAPE_DEADLINE_MS).catch(() => Number.NaN));
    },
  });
}

/** The BullMQ job states `redwire_queue_jobs` reports (`wait` is BullMQ's `waiting`). */
export const QUEUE_STATES = ['wait', 'active', 'delayed', 'failed', 'prioritized'] as const;

/** What the queue-depth gauge reads: a BullMQ `Queue`. */
export interface CountedQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/**
 * `redwire_queue_jobs{queue,state}`: each queue's job counts (one BullMQ getCounts script per queue),
 * computed at scrape time like the backlog gauges; a queue whose counts fail or miss the deadline reports
 * NaN for every state.
 */
export function registerQueueGauge(registry: Registry, queues: readonly CountedQueue[]): void {
  new Gauge({
    name: 'redwire_queue_jobs',
    help: 'BullMQ jobs by queue and state (wait, active, delayed, failed, prioritized), read at scrape time.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const counts = await Promise.all(
        queues.map((queue) =>
          withDeadline(queue.getJobCounts(...QUEUE_STATES), SCRAPE_DEADLINE_MS).catch(() => undefined),
        ),
      );
      queues.forEach((queue, i) => {
        for (const state of QUEUE_STATES)
          this.set({ queue: queue.name, state }, counts[i]?.[state] ?? Number.NaN);
      });
    },
  });
}
