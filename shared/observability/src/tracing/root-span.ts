import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { TRACER_NAME } from './semantic-names';

/** Options of {@link withRootSpan}. */
export interface RootSpanOptions {
  /**
   * OTel span kind: `CONSUMER` for stream/job processing, `PRODUCER` for a relay publishing.
   * @default SpanKind.INTERNAL
   */
  kind?: SpanKind;
  /** Links, e.g. to the contexts of the messages being processed (see `linksFromCarriers`). */
  links?: Link[];
  /** Attributes set at start, so samplers can see them. */
  attributes?: Attributes;
  /**
   * Make the span a child of this context instead of a new trace (e.g. a job that should continue its
   * producer's trace). Whatever context is active at the call is ignored either way, so background
   * work never nests under an unrelated request that happened to start it.
   * @default ROOT_CONTEXT (a new trace)
   */
  parentContext?: Context;
  /**
   * The tracer to use.
   * @default trace.getTracer('redwire')
   */
  tracer?: Tracer;
}

/**
 * Runs `fn` inside a new span that is active for its whole duration (so ioredis/pg calls made by `fn`
 * become its children) and ends it when `fn` settles. A throw or rejection is recorded on the span
 * (exception event + ERROR status) and rethrown unchanged. Use it for every unit of background work:
 * an outbox relay tick, a stream consumer batch, a scheduled job.
 */
export async function withRootSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  options: RootSpanOptions = {},
): Promise<T> {
  const tracer = options.tracer ?? trace.getTracer(TRACER_NAME);
  const parent = options.parentContext ?? ROOT_CONTEXT;
  return tracer.startActiveSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.links ? { links: options.links } : {}),
      ...(options.attributes ? { attributes: options.attributes } : {}),
    },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (err) {
        recordError(span, err);
        throw err;
      } finally {
        span.end();
      }
    },
  );
}

/**
 * Marks a span as failed: an `exception` event and ERROR status. For errors a span survives (a caught
 * Redis failure served from a fallback) record the exception yourself and leave the status alone.
 */
export function recordError(span: Span, err: unknown): void {
  if (err instanceof Error) {
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  } else {
    span.recordException(String(err));
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
  }
}
