import { withDeadline } from '@redwire/deadline';
import { Gauge, type Registry } from 'prom-client';
import type { RedisClient } from '../connection/redis-client.factory';
import { pendingCount } from './stream-group.commands';

const NAME = 'redwire_stream_pending';

/** One consumer group a registry reports on: where to ask, under which labels, within what deadline. */
export interface PendingSource {
  /** A non-blocking client: the consumer's own connection spends its time in XREADGROUP BLOCK. */
  readonly client: RedisClient;
  /** The stream key. */
  readonly stream: string;
  readonly group: string;
  /** The `stream` label (the destination name, as in `redwire_stream_messages_total`). */
  readonly label: string;
  readonly timeoutMs: number;
}

/**
 * `redwire_stream_pending{stream,group}`, read at scrape time with one XPENDING summary per group. Every
 * consumer on a registry adds its group here (two consumers of one group are asked once); a group whose
 * read fails or outlives its deadline reports NaN (unknown), never a stale count, and never fails the
 * scrape.
 */
class StreamPendingGauge extends Gauge<'stream' | 'group'> {
  readonly sources = new Set<PendingSource>();

  constructor(registry: Registry) {
    super({
      name: NAME,
      help: 'Stream entries delivered to a consumer group and not yet acknowledged (XPENDING), read at scrape time.',
      labelNames: ['stream', 'group'],
      registers: [registry],
      async collect() {
        await (this as StreamPendingGauge).refresh();
      },
    });
  }

  private async refresh(): Promise<void> {
    const byGroup = new Map<string, PendingSource>();
    for (const source of this.sources) byGroup.set(`${source.stream}\n${source.group}`, source);
    const counts = await Promise.all(
      [...byGroup.values()].map(async (source) => ({
        source,
        count: await withDeadline(
          pendingCount(source.client, source.stream, source.group),
          source.timeoutMs,
        ).catch(() => Number.NaN),
      })),
    );
    // Groups whose consumers closed since the last scrape disappear instead of keeping their last value.
    this.reset();
    for (const { source, count } of counts) this.set({ stream: source.label, group: source.group }, count);
  }
}

/**
 * Adds `source` to the registry's `redwire_stream_pending` gauge (created on first use) and returns the
 * function that removes it again.
 */
export function trackPending(registry: Registry, source: PendingSource): () => void {
  const existing = registry.getSingleMetric(NAME);
  if (existing !== undefined && !(existing instanceof StreamPendingGauge))
    throw new Error(`${NAME} is already registered by something other than a StreamConsumer`);
  const gauge = existing ?? new StreamPendingGauge(registry);
  gauge.sources.add(source);
  return () => gauge.sources.delete(source);
}
