import { z } from 'zod';
import type { RedisClient } from '../connection/redis-client.factory';
import { backoffDelay, sleep } from '../internal/backoff';
import { onConnectionLost } from '../internal/connection-events';
import { disconnectNow } from '../internal/disconnect';
import {
  backoffSchema,
  functionSchema,
  positiveInt,
  redisClientSchema,
  resolveOptions,
} from '../internal/options';
import { parseReadReply } from './stream-reply';

/** An entry seen by a fan-out reader. */
export interface FanoutMessage {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** `established`: reading (first time, or again after a loss). `lost`: events may be missed until the next `established`. */
export type SubscriptionState = 'established' | 'lost';

/** Options for a per-instance fan-out reader. */
export interface StreamFanoutReaderOptions {
  /** A dedicated blocking connection (`kind: 'blocking'`), owned and disconnected by `close()`. Required. */
  connection: RedisClient;
  /** The stream key. Required. */
  stream: string;
  /** Called for every entry, in order; a throw is reported and skipped (no redelivery). Required. */
  handler: (message: FanoutMessage) => void | Promise<void>;
  /** Start with entries added after `start()` (`latest`) or with the whole stream (`beginning`). @default 'latest' */
  startFrom?: 'latest' | 'beginning';
  /** Entries per read. @default 100 */
  count?: number;
  /** How long one XREAD blocks. @default 2000 */
  blockMs?: number;
  /** Back-off between retries after a Redis error. @default { initialMs: 100, maxMs: 5000 } */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * Told when reading starts or resumes (`established`) and when the connection is lost (`lost`). An L1 cache
   * flushes on both: invalidations sent while the subscription was down were not seen.
   * @default ignore
   */
  onSubscriptionChange?: (state: SubscriptionState) => void;
  /** Receives errors the loop survives. @default ignore */
  onError?: (error: unknown) => void;
}

const schema = z.object({
  connection: redisClientSchema,
  stream: z.string().min(1),
  handler: functionSchema<StreamFanoutReaderOptions['handler']>(),
  startFrom: z.enum(['latest', 'beginning']).default('latest'),
  count: positiveInt().default(100),
  blockMs: positiveInt().default(2000),
  retryBackoff: backoffSchema.default({ initialMs: 100, maxMs: 5000 }),
  onSubscriptionChange: functionSchema<(state: SubscriptionState) => void>().optional(),
  onError: functionSchema<(error: unknown) => void>().optional(),
});

/**
 * Reads a stream with plain XREAD from this instance's own cursor, without a group, so every instance
 * sees every entry (for L1 cache invalidation). At-most-once per instance: pair it with a short L1 TTL and
 * a flush on every subscription change.
 */
export class StreamFanoutReader {
  private readonly options: z.output<typeof schema>;
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private established = false;
  private cursor: string | undefined;
  private readonly stopWatching: () => void;

  constructor(options: StreamFanoutReaderOptions) {
    this.options = resolveOptions('StreamFanoutReader', schema, options);
    this.stopWatching = onConnectionLost(this.options.connection, () => this.markLost());
  }

  /** True while reading normally (since the last `established`). */
  get isEstablished(): boolean {
    return this.established;
  }

  /** Starts reading. Resolves once the starting cursor is fixed, so entries added afterwards are seen. */
  start(): Promise<void> {
    if (this.loop) throw new Error('StreamFanoutReader.start() was already called');
    return new Promise((resolve) => {
      this.loop = this.run(resolve);
    });
  }

  /** Ends the loop (disconnecting to interrupt the BLOCK) and waits for it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.abort.abort();
      this.stopWatching();
      const ended = disconnectNow(this.options.connection);
      await this.loop;
      await ended;
    })();
    return this.closing;
  }

  private async run(ready: () => void): Promise<void> {
    const { connection, stream, count, blockMs, retryBackoff } = this.options;
    let attempt = 0;
    while (!this.abort.signal.aborted) {
      try {
        if (this.cursor === undefined) {
          this.cursor = this.options.startFrom === 'beginning' ? '0-0' : await this.lastId();
          this.setState('established');
          ready();
        }
        const reply = await connection.call(
          'XREAD',
          'COUNT',
          String(count),
          'BLOCK',
          String(blockMs),
          'STREAMS',
          stream,
          this.cursor,
        );
        // After a loss, the first read that completes proves the subscription is back.
        if (!this.established) this.setState('established');
        attempt = 0;
        for (const entry of parseReadReply(reply)) {
          this.cursor = entry.id;
          if (entry.fields === null) continue;
          try {
            await this.options.handler({ id: entry.id, fields: entry.fields });
          } catch (error) {
            this.report(error);
          }
        }
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.markLost();
        this.report(error);
        await sleep(backoffDelay(attempt++, retryBackoff.initialMs, retryBackoff.maxMs), this.abort.signal);
      }
    }
    ready();
  }

  /** The newest entry id, or 0-0 for an empty or missing stream. */
  private async lastId(): Promise<string> {
    const reply = (await this.options.connection.xrevrange(
      this.options.stream,
      '+',
      '-',
      'COUNT',
      1,
    )) as unknown[];
    const newest = reply[0];
    return Array.isArray(newest) ? String(newest[0]) : '0-0';
  }

  private markLost(): void {
    if (this.abort.signal.aborted || !this.established) return;
    this.setState('lost');
  }

  private setState(state: SubscriptionState): void {
    this.established = state === 'established';
    try {
      this.options.onSubscriptionChange?.(state);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // never let the reporter kill the loop
    }
  }
}
