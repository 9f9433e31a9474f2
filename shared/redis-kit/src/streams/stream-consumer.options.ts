import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { RedisClient } from '../connection/redis-client.factory';
import { InvalidOptionsError } from '../errors';
import {
  backoffSchema,
  functionSchema,
  positiveInt,
  redisClientSchema,
  registrySchema,
  resolveOptions,
} from '../internal/options';
import { assertSameSlot } from '../keys/hash-slot';

/** One entry handed to a consumer's handler. */
export interface StreamMessage {
  readonly stream: string;
  /** The stream entry id (`<ms>-<seq>`); use an `eventId` field for idempotency when producers may re-send. */
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
  /** Deliveries so far, this one included: 1 on the first delivery. */
  readonly deliveryCount: number;
}

/** Passed to the handler with each message. */
export interface StreamHandlerContext {
  /** Aborted when the consumer is closing: stop early if the work allows (the entry then stays pending). */
  readonly signal: AbortSignal;
}

/** Processes one message; throwing leaves it pending for a retry (or dead-letters it after maxDeliveries). */
export type StreamHandler = (message: StreamMessage, context: StreamHandlerContext) => Promise<void> | void;

/** Where a reported error happened. */
export type StreamConsumerPhase = 'group' | 'read' | 'claim' | 'handler' | 'ack' | 'dead-letter';

/** Options for a consumer-group consumer. */
export interface StreamConsumerOptions {
  /**
   * A dedicated blocking connection (`kind: 'blocking'`). The consumer owns it: `close()` disconnects it to
   * interrupt the BLOCK. Required.
   */
  connection: RedisClient;
  /** The stream key. Required. */
  stream: string;
  /** The consumer group: one per consuming service. Required. */
  group: string;
  /** The handler. Required. */
  handler: StreamHandler;
  /** This consumer's name in the group; unique per process. @default `<hostname>-<pid>-<random>` */
  consumer?: string;
  /** Where a newly created group starts reading (`$`: only new entries; `0`: the whole stream). @default '$' */
  startId?: string;
  /** Entries per read. @default 16 */
  count?: number;
  /** How long one XREADGROUP blocks waiting for entries; also bounds how late a close or a claim pass can be. @default 2000 */
  blockMs?: number;
  /**
   * An entry pending longer than this (its consumer died or failed it) is reclaimed by XAUTOCLAIM and retried.
   * Keep it well above the slowest handler run.
   * @default 30000
   */
  claimIdleMs?: number;
  /** How often to look for idle entries. @default 5000 */
  claimIntervalMs?: number;
  /** Entries reclaimed per XAUTOCLAIM call. @default 16 */
  claimCount?: number;
  /** After this many deliveries a failing entry goes to the dead-letter stream. @default 5 */
  maxDeliveries?: number;
  /** The dead-letter stream key; must share the stream's hash slot. @default `<stream>:dlq` */
  deadLetterStream?: string;
  /** Approximate cap of the dead-letter stream (MAXLEN ~). @default 10000 */
  deadLetterMaxLen?: number;
  /** Back-off between retries after a Redis error. @default { initialMs: 100, maxMs: 5000 } */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** How long `close()` waits for a running handler before dropping the connection anyway. @default 10000 */
  closeTimeoutMs?: number;
  /**
   * Make each CONSUMER span a child of the producer's span (one trace per event, as Jaeger shows it) in
   * addition to the link; false starts a new trace per entry with only the link.
   * @default true
   */
  continueTrace?: boolean;
  /** The destination name in span names and metrics. @default the stream key */
  destinationName?: string;
  /**
   * Metrics go here: `redwire_stream_messages_total`, `redwire_stream_handler_duration_seconds`, and
   * `redwire_stream_pending` (read at scrape time on `metricsClient`, which is then required).
   * @default none
   */
  registry?: Registry;
  /**
   * A non-blocking client (`kind: 'request'`, the state role) for the scrape-time XPENDING of
   * `redwire_stream_pending`: `connection` spends its time in XREADGROUP BLOCK, so a scrape sent there
   * would wait out the block. Not owned: `close()` leaves it open. Required with `registry`.
   */
  metricsClient?: RedisClient;
  /** Deadline of that XPENDING; a scrape past it reports NaN for the group instead of waiting. @default 1000 */
  metricsTimeoutMs?: number;
  /** Receives every error the loop survives (Redis errors, handler errors). @default ignore */
  onError?: (error: unknown, info: { phase: StreamConsumerPhase; messageId?: string }) => void;
}

const schema = z
  .object({
    connection: redisClientSchema,
    stream: z.string().min(1),
    group: z.string().min(1),
    handler: functionSchema<StreamHandler>(),
    consumer: z.string().min(1).optional(),
    startId: z
      .string()
      .regex(/^(\$|0|\d+(-\d+)?)$/, '$, 0 or a stream id')
      .default('$'),
    count: positiveInt().default(16),
    blockMs: positiveInt().default(2000),
    claimIdleMs: positiveInt().default(30_000),
    claimIntervalMs: positiveInt().default(5000),
    claimCount: positiveInt().default(16),
    maxDeliveries: positiveInt().default(5),
    deadLetterStream: z.string().min(1).optional(),
    deadLetterMaxLen: positiveInt().default(10_000),
    retryBackoff: backoffSchema.default({ initialMs: 100, maxMs: 5000 }),
    closeTimeoutMs: positiveInt().default(10_000),
    continueTrace: z.boolean().default(true),
    destinationName: z.string().min(1).optional(),
    registry: registrySchema.optional(),
    metricsClient: redisClientSchema.optional(),
    metricsTimeoutMs: positiveInt().default(1000),
    onError: functionSchema<NonNullable<StreamConsumerOptions['onError']>>().optional(),
  })
  .refine((o) => o.registry === undefined || o.metricsClient !== undefined, {
    path: ['metricsClient'],
    message:
      'required with registry (redwire_stream_pending is read on it; connection is blocked in XREADGROUP)',
  })
  .transform((o) => ({
    ...o,
    consumer: o.consumer ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    deadLetterStream: o.deadLetterStream ?? `${o.stream}:dlq`,
    destinationName: o.destinationName ?? o.stream,
  }));

export type ResolvedConsumerOptions = z.output<typeof schema>;

export function resolveConsumerOptions(options: StreamConsumerOptions): ResolvedConsumerOptions {
  const resolved = resolveOptions('StreamConsumer', schema, options);
  try {
    assertSameSlot([resolved.stream, resolved.deadLetterStream]);
  } catch {
    throw new InvalidOptionsError('StreamConsumer', [
      `deadLetterStream: "${resolved.deadLetterStream}" is not in the hash slot of "${resolved.stream}"; ` +
        'give the stream a {tag} (Keyspace.stream does)',
    ]);
  }
  return resolved;
}
