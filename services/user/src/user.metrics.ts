import { withDeadline } from '@redwire/redis-kit';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The user service's own series, registered on the service registry. The cache's
 * series (`redwire_user_cache_*`) are `@redwire/cache`'s, named in cache/user-cache.ts.
 */
export interface UserMetrics {
  /** One PostgreSQL statement issued by the repository (what the "one DB query" tests count). */
  dbQuery(operation: string): void;
}

/** Creates the user service metrics on `registry`. */
export function createUserMetrics(registry: Registry): UserMetrics {
  const queries = new Counter({
    name: 'redwire_user_db_queries_total',
    help: 'PostgreSQL statements issued by the user repository, by operation.',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  return { dbQuery: (operation) => queries.inc({ operation }) };
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
