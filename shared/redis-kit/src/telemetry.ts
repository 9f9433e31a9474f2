import { type Tracer, trace } from '@opentelemetry/api';

// Span and attribute names in one place, so code and dashboards agree on them. Messaging names follow the OTel messaging semantic
// conventions (still "Development" status); `redwire.*` are ours.

/** The instrumentation scope of every span this package starts. */
export const TRACER_NAME = '@redwire/redis-kit';

export const SpanNames = {
  /** PRODUCER span around XADD. */
  send: (destination: string) => `send ${destination}`,
  /** CONSUMER span around one entry's handler. */
  process: (destination: string) => `process ${destination}`,
} as const;

export const SpanAttributes = {
  messagingSystem: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  messageId: 'messaging.message.id',
  consumerGroup: 'messaging.consumer.group.name',
  /** How many times the entry has been delivered, this delivery included. */
  deliveryCount: 'redwire.stream.delivery_count',
  /** `acked`, `failed` (left pending for a retry) or `dead_lettered`. */
  outcome: 'redwire.stream.outcome',
} as const;

export const MESSAGING_SYSTEM = 'redis';

/** The trace context fields carried in a stream entry (W3C Trace Context). */
export const TRACE_FIELDS = ['traceparent', 'tracestate'] as const;

/** The package's tracer, looked up on use so a provider registered after import still applies. */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}
