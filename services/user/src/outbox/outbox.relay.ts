import { setTimeout as sleep } from 'node:timers/promises';
import { encodeUserEvent } from '@redwire/contracts';
import type { StreamPublisher } from '@redwire/redis-kit';
import pg from 'pg';
import type { UserEvent } from '../users/user.model';

/** Transaction-scoped advisory lock: one relay publishes at a time, which keeps per-user order. */
const RELAY_LOCK_ID = 0x7573_6f62; // "usob"
const NOTIFY_CHANNEL = 'users_outbox';

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** Pool the relay's transactions run on. */
  readonly pool: pg.Pool;
  /** Connection string for the dedicated LISTEN connection (NOTIFY wakes the relay at commit time). */
  readonly listenConnectionString: string;
  /** Publishes to the `user-events` stream. */
  readonly publisher: StreamPublisher;
  /** Rows per transaction. @default 100 */
  readonly batchSize?: number;
  /** Fallback poll interval when no NOTIFY arrives (lost LISTEN connection, missed wake-up). @default 500 */
  readonly pollIntervalMs?: number;
  /** Seconds from a row's commit-time stamp to its publish, per event. @default ignore */
  readonly onPublished?: (event: UserEvent, lagSeconds: number) => void;
  /** Errors the loop survives (PostgreSQL or Redis down). @default ignore */
  readonly onError?: (error: unknown) => void;
}

interface OutboxRow {
  seq: string;
  event_id: string;
  type: UserEvent['type'];
  user_id: string;
  version: string;
  traceparent: string | null;
  tracestate: string | null;
  created_at: Date;
}

/**
 * Publishes committed outbox rows to the `user-events` stream, oldest first, at least once: a row is
 * marked published in the same transaction that locked it, after its XADD succeeded; a crash in between
 * publishes it again (consumers are idempotent). Woken by NOTIFY at commit, polling as the fallback.
 * Each event's stored traceparent parents the publish span, so it joins the writing request's trace.
 */
export class OutboxRelay {
  readonly #o: Required<OutboxRelayOptions>;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  /** A NOTIFY arrived while a batch ran: drain again before sleeping. */
  #dirty = false;
  #loop: Promise<void> | undefined;
  #listener: pg.Client | undefined;
  #listenLoop: Promise<void> | undefined;

  constructor(options: OutboxRelayOptions) {
    this.#o = { batchSize: 100, pollIntervalMs: 500, onPublished: () => {}, onError: () => {}, ...options };
    if (!Number.isSafeInteger(this.#o.batchSize) || this.#o.batchSize < 1)
      throw new RangeError('batchSize must be ≥ 1');
    if (!Number.isSafeInteger(this.#o.pollIntervalMs) || this.#o.pollIntervalMs < 1) {
      throw new RangeError('pollIntervalMs must be ≥ 1');
    }
  }

  /** Starts listening and relaying. */
  start(): void {
    if (this.#loop) throw new Error('OutboxRelay already started');
    this.#listenLoop = this.#listen();
    this.#loop = this.#run();
  }

  /** Stops after the current batch and closes the LISTEN connection. */
  async close(): Promise<void> {
    this.#abort.abort();
    this.#signal();
    await this.#loop;
    await this.#listener?.end().catch(() => {});
    await this.#listenLoop;
  }

  /** Publishes everything pending now; resolves with the number of events published. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, more } = await this.#publishBatch();
      total += published;
      if (!more || this.#abort.signal.aborted) return total;
    }
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      this.#dirty = false;
      try {
        await this.drain();
      } catch (error) {
        this.#o.onError(error);
      }
      if (signal.aborted) break;
      if (this.#dirty) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.#o.pollIntervalMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
    }
  }

  /** Keeps one LISTEN connection up (reconnecting with back-off); each NOTIFY wakes the relay. */
  async #listen(): Promise<void> {
    const signal = this.#abort.signal;
    let attempt = 0;
    while (!signal.aborted) {
      const client = new pg.Client({
        connectionString: this.#o.listenConnectionString,
        connectionTimeoutMillis: 2000,
        application_name: 'redwire-user-outbox-listen',
        keepAlive: true,
      });
      const ended = new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.once('error', (error) => {
          this.#o.onError(error);
          void client.end().catch(() => {});
          resolve();
        });
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
        this.#listener = client;
        attempt = 0;
        client.on('notification', () => this.#signal());
        this.#signal(); // rows committed while we were not listening
        await ended;
      } catch (error) {
        this.#o.onError(error);
        await client.end().catch(() => {});
      }
      this.#listener = undefined;
      if (signal.aborted) break;
      await sleep(Math.min(100 * 2 ** attempt++, 5000), undefined, { signal }).catch(() => {});
    }
  }

  #signal(): void {
    if (this.#wake) this.#wake();
    else this.#dirty = true;
  }

  async #publishBatch(): Promise<{ published: number; more: boolean }> {
    const client = await this.#o.pool.connect();
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
        RELAY_LOCK_ID,
      ]);
      if (!lock.rows[0]?.ok) {
        await client.query('ROLLBACK');
        return { published: 0, more: false }; // another relay is publishing
      }
      const { rows } = await client.query<OutboxRow>(
        `SELECT seq, event_id, type, user_id, version, traceparent, tracestate, created_at
         FROM users.outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE`,
        [this.#o.batchSize],
      );
      const done: string[] = [];
      let failure: unknown;
      // One at a time: a failed XADD must not let a later event of the same user overtake it.
      for (const row of rows) {
        const event = toEvent(row);
        try {
          await this.#o.publisher.publish(encodeUserEvent(event), {
            ...(event.traceparent ? { traceparent: event.traceparent } : {}),
            ...(event.tracestate ? { tracestate: event.tracestate } : {}),
          });
        } catch (error) {
          failure = error;
          break;
        }
        done.push(row.seq);
        this.#o.onPublished(event, Math.max(0, Date.now() - row.created_at.getTime()) / 1000);
      }
      if (done.length > 0) {
        await client.query(
          'UPDATE users.outbox SET published_at = clock_timestamp() WHERE seq = ANY($1::bigint[])',
          [done],
        );
      }
      await client.query('COMMIT');
      if (failure !== undefined) {
        this.#o.onError(failure); // the rest stays pending for the next attempt
        return { published: done.length, more: false };
      }
      return { published: done.length, more: rows.length === this.#o.batchSize };
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

function toEvent(row: OutboxRow): UserEvent {
  return {
    eventId: row.event_id,
    type: row.type,
    userId: row.user_id,
    version: Number(row.version),
    occurredAt: row.created_at.toISOString(),
    traceparent: row.traceparent ?? undefined,
    tracestate: row.tracestate ?? undefined,
  };
}
