import {
  type Attributes,
  type Context,
  context,
  type Exception,
  type Span,
  type SpanKind,
  type TimeInput,
  trace,
} from '@opentelemetry/api';
import { extractContext, injectTraceparent } from './trace-context';

/** A span as BullMQ drives it (its `Span` interface). */
export interface BullmqSpan {
  setSpanOnContext(ctx: Context): Context;
  setAttribute(key: string, value: NonNullable<Attributes[string]>): void;
  setAttributes(attributes: Attributes): void;
  addEvent(name: string, attributes?: Attributes): void;
  recordException(exception: Exception, time?: TimeInput): void;
  end(): void;
}

/**
 * The value of BullMQ's `telemetry` option for a Queue or Worker (its `Telemetry` interface): `add` is a
 * PRODUCER span in the caller's context, the job stores that context (W3C `traceparent`) in its options,
 * and every attempt's `process` CONSUMER span is its child, with the processor running inside it.
 */
export interface BullmqTelemetry {
  readonly tracer: {
    // `kind` is BullMQ's own SpanKind enum, numbered as OpenTelemetry's.
    startSpan(name: string, options?: { kind: number }, ctx?: Context): BullmqSpan;
  };
  readonly contextManager: {
    with<A extends (...args: never[]) => unknown>(ctx: Context, fn: A): ReturnType<A>;
    active(): Context;
    getMetadata(ctx: Context): string;
    fromMetadata(activeContext: Context, metadata: string): Context;
  };
}

/**
 * BullMQ telemetry on this package's `@opentelemetry/api`, the copy the SDK registers its provider
 * with. `bullmq-otel` does the same on its own copy of the API (a `^1.9.1` range, so a second copy
 * beside the pinned 1.9.0), and a copy newer than the registering one sees no provider: its spans were
 * non-recording and the job metadata empty, so jobs fell out of their trace and their log lines had no
 * trace id. Job metadata is W3C trace context, like stream fields and outbox rows.
 * @param tracerName the instrumentation scope of the `add` / `process` spans
 */
export function bullmqTelemetry(tracerName: string): BullmqTelemetry {
  const tracer = trace.getTracer(tracerName);
  return {
    tracer: {
      startSpan: (name, options, ctx) =>
        wrap(tracer.startSpan(name, options ? { kind: options.kind as SpanKind } : {}, ctx)),
    },
    contextManager: {
      with: (ctx, fn) => context.with(ctx, () => fn()) as ReturnType<typeof fn>,
      active: () => context.active(),
      getMetadata: (ctx) => JSON.stringify(injectTraceparent(ctx)),
      // The job's own context, not the worker loop's: garbage metadata means a new trace, never an error.
      fromMetadata: (_activeContext, metadata) => {
        try {
          return extractContext(JSON.parse(metadata) as object | null);
        } catch {
          return extractContext(undefined);
        }
      },
    },
  };
}

function wrap(span: Span): BullmqSpan {
  return {
    setSpanOnContext: (ctx) => trace.setSpan(ctx, span),
    setAttribute: (key, value) => void span.setAttribute(key, value),
    setAttributes: (attributes) => void span.setAttributes(attributes),
    addEvent: (name, attributes) => void span.addEvent(name, attributes),
    recordException: (exception, time) => span.recordException(exception, time),
    end: () => span.end(),
  };
}
