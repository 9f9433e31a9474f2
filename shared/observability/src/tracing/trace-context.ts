import {
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C trace context as carried in stream fields and job data. */
export interface TraceCarrier {
  traceparent?: string;
  tracestate?: string;
}

// A fixed W3C propagator, not the global one: stream fields and job data are our own wire format and
// must stay `traceparent` whatever OTEL_PROPAGATORS configures for HTTP, and must work without the SDK.
const w3c = new W3CTraceContextPropagator();

const setter = {
  set(carrier: TraceCarrier, key: string, value: string) {
    if (key === 'traceparent' || key === 'tracestate') carrier[key] = value;
  },
};

const getter = {
  keys: (carrier: Readonly<Record<string, unknown>>) => Object.keys(carrier),
  get(carrier: Readonly<Record<string, unknown>>, key: string) {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * The W3C `traceparent` (and `tracestate`, if any) of `ctx`, to store next to a message: an XADD's
 * fields, an outbox row, a job's data. Empty when there is no valid span in `ctx`.
 * @param ctx @default context.active()
 */
export function injectTraceparent(ctx: Context = context.active()): TraceCarrier {
  const carrier: TraceCarrier = {};
  w3c.inject(ctx, carrier, setter);
  return carrier;
}

/**
 * The remote context a carrier (a {@link TraceCarrier}, stream fields, job data) describes, for `withRootSpan(..., { parentContext })` or as a link
 * target. A missing or malformed `traceparent` yields the root context (a new trace), never an error:
 * a message must still be processed when its trace context is garbage.
 */
export function extractContext(carrier: object | null | undefined): Context {
  if (!carrier) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, carrier as Readonly<Record<string, unknown>>, getter);
}

/**
 * Span links to the contexts the carriers hold, skipping the ones without a valid `traceparent`. The
 * messaging conventions link a consumer's span to each message's creation context.
 */
export function linksFromCarriers(...carriers: (object | null | undefined)[]): Link[] {
  const links: Link[] = [];
  for (const carrier of carriers) {
    const spanContext = trace.getSpanContext(extractContext(carrier));
    if (spanContext && isSpanContextValid(spanContext)) links.push({ context: spanContext });
  }
  return links;
}
