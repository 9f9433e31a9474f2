import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { z } from 'zod';
import type { RedisClient } from '../connection/redis-client.factory';
import { positiveInt, redisClientSchema, resolveOptions } from '../internal/options';
import { MESSAGING_SYSTEM, SpanAttributes, SpanNames, TRACE_FIELDS, tracer } from '../telemetry';

/** Options for a stream publisher. */
export interface StreamPublisherOptions {
  /** A request-path client (fail fast: a timed-out XADD is not re-sent, so it is published at most once per call). Required. */
  client: RedisClient;
  /** The stream key, e.g. `keys.stream('user-events')`. Required. */
  stream: string;
  /** Keep about this many entries: `XADD ... MAXLEN ~ maxLen` (Redis trims whole nodes, so it may keep ~100 more). @default 100000 */
  maxLen?: number;
  /** Trim exactly (`MAXLEN =`), which costs more per XADD. @default false */
  exactTrim?: boolean;
  /** The destination name in span names and attributes. @default the stream key */
  destinationName?: string;
}

/** A field value; numbers, bigints and booleans are written with String(). */
export type StreamFieldValue = string | number | bigint | boolean;

/** Per-call options of `publish`. */
export interface PublishOptions {
  /**
   * The context the PRODUCER span is a child of. @default the active context
   */
  parent?: Context;
  /**
   * A stored W3C `traceparent` (e.g. from an outbox row) to parent the PRODUCER span on, instead of the
   * active context. Passed through unchanged when no tracer is installed.
   */
  traceparent?: string;
  /** The `tracestate` stored with `traceparent`. */
  tracestate?: string;
}

const schema = z.object({
  client: redisClientSchema,
  stream: z.string().min(1),
  maxLen: positiveInt().default(100_000),
  exactTrim: z.boolean().default(false),
  destinationName: z.string().min(1).optional(),
});

/**
 * Appends entries to a stream with bounded length, each carrying the W3C trace context of a PRODUCER span
 * (`send <stream>`) so consumers can link to it.
 */
export class StreamPublisher {
  private readonly options: z.output<typeof schema>;
  private readonly destination: string;
  private readonly trim: string[];

  constructor(options: StreamPublisherOptions) {
    this.options = resolveOptions('StreamPublisher', schema, options);
    this.destination = this.options.destinationName ?? this.options.stream;
    this.trim = ['MAXLEN', this.options.exactTrim ? '=' : '~', String(this.options.maxLen)];
  }

  /** Appends one entry and returns its id. `traceparent`/`tracestate` are reserved field names. */
  async publish(
    fields: Readonly<Record<string, StreamFieldValue>>,
    options: PublishOptions = {},
  ): Promise<string> {
    const flat: string[] = [];
    for (const name in fields) {
      if ((TRACE_FIELDS as readonly string[]).includes(name)) {
        throw new TypeError(`"${name}" is a reserved stream field; pass it in PublishOptions`);
      }
      flat.push(name, String(fields[name]));
    }
    if (flat.length === 0) throw new TypeError('a stream entry needs at least one field');

    const stored = options.traceparent
      ? {
          traceparent: options.traceparent,
          ...(options.tracestate ? { tracestate: options.tracestate } : {}),
        }
      : undefined;
    const parent = stored ? propagation.extract(ROOT_CONTEXT, stored) : (options.parent ?? context.active());
    const span = tracer().startSpan(
      SpanNames.send(this.destination),
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          [SpanAttributes.messagingSystem]: MESSAGING_SYSTEM,
          [SpanAttributes.destination]: this.destination,
          [SpanAttributes.operationType]: 'send',
          [SpanAttributes.operationName]: 'send',
        },
      },
      parent,
    );
    const carrier: Record<string, string> = {};
    const spanContext = trace.setSpan(parent, span);
    propagation.inject(spanContext, carrier);
    const traceparent = carrier.traceparent ?? stored?.traceparent;
    const tracestate = carrier.tracestate ?? stored?.tracestate;
    if (traceparent) flat.push('traceparent', traceparent);
    if (tracestate) flat.push('tracestate', tracestate);

    try {
      const id = await context.with(spanContext, () =>
        this.options.client.xadd(
          this.options.stream,
          ...(this.trim as ['MAXLEN', '~', string]),
          '*',
          ...flat,
        ),
      );
      if (typeof id !== 'string') throw new Error('XADD returned no id');
      span.setAttribute(SpanAttributes.messageId, id);
      return id;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }
}
