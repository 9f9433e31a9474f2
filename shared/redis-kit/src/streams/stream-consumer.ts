import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { IdempotencyInProgressError } from '../errors';
import { backoffDelay, sleep } from '../internal/backoff';
import { onConnectionLost } from '../internal/connection-events';
import { disconnectNow } from '../internal/disconnect';
import { counter, histogram } from '../internal/metrics';
import { SpanAttributes } from '../telemetry';
import { startConsumerSpan } from './consumer-span';
import { deadLetter } from './dead-letter';
import {
  type ResolvedConsumerOptions,
  resolveConsumerOptions,
  type StreamConsumerOptions,
  type StreamConsumerPhase,
  type StreamMessage,
} from './stream-consumer.options';
import { autoClaim, createGroup, deliveryCounts, readGroup } from './stream-group.commands';
import { trackPending } from './stream-pending.gauge';
import type { RawEntry } from './stream-reply';

type Outcome = 'acked' | 'failed' | 'dead_lettered' | 'trimmed';

/**
 * A consumer-group consumer with the whole reliability loop: group created idempotently, its own pending
 * entries drained first (and again after a reconnect), XREADGROUP BLOCK on its own connection, XACK after
 * the handler succeeds, idle entries reclaimed with XAUTOCLAIM, entries dead-lettered after
 * `maxDeliveries`. Delivery is at-least-once: make handlers idempotent (see IdempotencyGuard).
 * Entries are handled one at a time, in order; run more consumers for more throughput.
 */
export class StreamConsumer {
  private readonly options: ResolvedConsumerOptions;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  /** What the loop is waiting on: close() interrupts Redis waits but lets a running handler finish. */
  private phase: 'redis' | 'handler' | 'sleep' = 'redis';
  private drainCursor: string | undefined = '0';
  private readonly stopWatching: () => void;
  private readonly messages;
  private readonly durations;
  private untrackPending: (() => void) | undefined;

  constructor(options: StreamConsumerOptions) {
    this.options = resolveConsumerOptions(options);
    this.stopWatching = onConnectionLost(this.options.connection, () => {
      // Replies lost with the connection may have moved entries into our pending list: re-read it.
      this.drainCursor = '0';
    });
    const { registry } = this.options;
    this.messages = counter(
      registry,
      'redwire_stream_messages_total',
      'Stream entries handled by consumers, by outcome',
      ['stream', 'group', 'outcome'],
    );
    this.durations = histogram(
      registry,
      'redwire_stream_handler_duration_seconds',
      'Time spent in stream consumer handlers',
      ['stream', 'group'],
      [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
    );
  }

  /** This consumer's name in the group. */
  get name(): string {
    return this.options.consumer;
  }

  /**
   * Starts the loop. Resolves once the group exists (so entries added afterwards will be seen); the loop
   * then runs until `close()`. If Redis is down, it resolves when Redis comes back.
   */
  start(): Promise<void> {
    if (this.loop) throw new Error('StreamConsumer.start() was already called');
    const { registry, metricsClient, stream, group, destinationName, metricsTimeoutMs } = this.options;
    if (registry && metricsClient) {
      this.untrackPending = trackPending(registry, {
        client: metricsClient,
        stream,
        group,
        label: destinationName,
        timeoutMs: metricsTimeoutMs,
      });
    }
    return new Promise((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  /** Stops the loop: interrupts a BLOCK, lets a running handler finish (up to closeTimeoutMs), disconnects. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    this.untrackPending?.();
    const ended = this.phase === 'handler' ? undefined : disconnectNow(this.options.connection);
    if (this.loop) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.loop,
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.options.closeTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.stopWatching();
    await (ended ?? disconnectNow(this.options.connection));
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(ready: () => void): Promise<void> {
    const { retryBackoff, claimIntervalMs } = this.options;
    let groupReady = false;
    let groupLost = false;
    let nextClaimAt = 0;
    let attempt = 0;
    let phase: StreamConsumerPhase = 'group';
    while (!this.stopped) {
      try {
        if (!groupReady) {
          phase = 'group';
          // A group that vanished (a restart without persistence) is recreated from the start of the
          // stream, so entries added since the restart are not skipped; handlers are idempotent anyway.
          await createGroup(
            this.options.connection,
            this.options.stream,
            this.options.group,
            groupLost ? '0' : this.options.startId,
          );
          groupReady = true;
          ready();
        }
        if (Date.now() >= nextClaimAt) {
          phase = 'claim';
          await this.claimIdle();
          nextClaimAt = Date.now() + claimIntervalMs;
        }
        phase = 'read';
        await this.readOnce();
        attempt = 0;
      } catch (error) {
        if (this.stopped) break;
        // The stream or group vanished (a Redis restart without persistence, a manual delete): recreate it.
        if (error instanceof Error && error.message.startsWith('NOGROUP')) {
          groupReady = false;
          groupLost = true;
        }
        this.report(error, phase);
        this.phase = 'sleep';
        await sleep(backoffDelay(attempt++, retryBackoff.initialMs, retryBackoff.maxMs), this.abort.signal);
        this.phase = 'redis';
      }
    }
    ready();
  }

  private async readOnce(): Promise<void> {
    const { connection, stream, group, consumer, count, blockMs } = this.options;
    this.phase = 'redis';
    if (this.drainCursor !== undefined) {
      // Our own pending entries (delivered before a crash or a lost reply).
      const entries = await readGroup(connection, { stream, group, consumer, count, id: this.drainCursor });
      this.drainCursor = entries.at(-1)?.id;
      if (entries.length > 0) await this.handleBatch(entries, await this.countsOf(entries));
      return;
    }
    await this.handleBatch(await readGroup(connection, { stream, group, consumer, count, blockMs, id: '>' }));
  }

  private async claimIdle(): Promise<void> {
    const { connection, stream, group, consumer, claimIdleMs, claimCount } = this.options;
    let cursor = '0-0';
    // Bounded passes so a huge backlog of idle entries cannot starve new ones.
    for (let pass = 0; pass < 10 && !this.stopped; pass++) {
      this.phase = 'redis';
      const claimed = await autoClaim(connection, {
        stream,
        group,
        consumer,
        minIdleMs: claimIdleMs,
        cursor,
        count: claimCount,
      });
      if (claimed.entries.length > 0)
        await this.handleBatch(claimed.entries, await this.countsOf(claimed.entries));
      cursor = claimed.cursor;
      if (cursor === '0-0') return;
    }
  }

  private countsOf(entries: RawEntry[]): Promise<Map<string, number>> {
    const { connection, stream, group, consumer } = this.options;
    return deliveryCounts(connection, { stream, group, consumer, entries });
  }

  private async handleBatch(entries: RawEntry[], counts?: Map<string, number>): Promise<void> {
    for (const entry of entries) {
      if (this.stopped) return; // the rest stay pending and are drained on the next start
      await this.handleEntry(entry, counts?.get(entry.id) ?? 1);
    }
  }

  private async handleEntry(entry: RawEntry, deliveryCount: number): Promise<void> {
    const { connection, stream, group, maxDeliveries } = this.options;
    if (entry.fields === null) {
      // Trimmed while pending: nothing left to process.
      await connection.xack(stream, group, entry.id);
      return this.count('trimmed');
    }
    if (deliveryCount > maxDeliveries) {
      // It was delivered maxDeliveries times without an ack (it may crash the process): do not run it again.
      await this.toDeadLetter(entry.id, 'max-deliveries-exceeded', deliveryCount);
      return this.count('dead_lettered');
    }
    const message: StreamMessage = { stream, id: entry.id, fields: entry.fields, deliveryCount };
    const { span, parent } = startConsumerSpan(entry.id, entry.fields, deliveryCount, this.options);
    const active = trace.setSpan(parent, span);
    let outcome: Outcome = 'failed';
    try {
      try {
        await context.with(active, () => this.runHandler(message));
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        this.report(error, 'handler', entry.id);
        // Another worker holds the idempotency lease: not this entry's fault, never dead-letter for it.
        if (
          deliveryCount >= maxDeliveries &&
          !(error instanceof IdempotencyInProgressError) &&
          !this.stopped
        ) {
          const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
          await context.with(active, () => this.toDeadLetter(entry.id, reason, deliveryCount));
          outcome = 'dead_lettered';
        }
        // Otherwise it stays pending and is retried once idle for claimIdleMs.
        return;
      }
      // A Redis error here propagates to the loop (back-off); the entry stays pending.
      await context.with(active, () => connection.xack(stream, group, entry.id));
      outcome = 'acked';
    } finally {
      span.setAttribute(SpanAttributes.outcome, outcome);
      span.end();
      this.count(outcome);
    }
  }

  private async runHandler(message: StreamMessage): Promise<void> {
    this.phase = 'handler';
    const end = this.durations?.startTimer({
      stream: this.options.destinationName,
      group: this.options.group,
    });
    try {
      await this.options.handler(message, { signal: this.abort.signal });
    } finally {
      end?.();
      this.phase = 'redis';
    }
  }

  private async toDeadLetter(id: string, reason: string, deliveries: number): Promise<void> {
    const o = this.options;
    this.phase = 'redis';
    await deadLetter(o.connection, {
      stream: o.stream,
      deadLetterStream: o.deadLetterStream,
      group: o.group,
      id,
      reason,
      deliveries,
      consumer: o.consumer,
      maxLen: o.deadLetterMaxLen,
    });
  }

  private count(outcome: Outcome): void {
    this.messages?.inc({ stream: this.options.destinationName, group: this.options.group, outcome });
  }

  private report(error: unknown, phase: StreamConsumerPhase, messageId?: string): void {
    try {
      this.options.onError?.(error, { phase, ...(messageId ? { messageId } : {}) });
    } catch {
      // A throwing error reporter must not kill the loop.
    }
  }
}
