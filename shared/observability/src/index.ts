// The @opentelemetry/api pieces callers of the helpers above need, so packages can trace through this
// package alone instead of each adding (and pinning) the API themselves.
export {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
export { type HttpLoggerOptions, httpLogger } from './logging/http-logger.middleware';
export { createLogger, type Logger, type LoggerOptions } from './logging/logger.factory';
export { REDACT_PATHS, REDACTED } from './logging/redaction';
export {
  currentRequestId,
  REQUEST_ID_HEADER,
  requestContext,
  runWithRequestId,
} from './logging/request-context';
export { BoundCounter, type CounterChild } from './metrics/bound-counter';
export {
  CLIENT_CLOSED_STATUS,
  createMetrics,
  type Metrics,
  type MetricsOptions,
} from './metrics/metrics.factory';
export { expressRoute, UNMATCHED_ROUTE } from './metrics/route-label';
export {
  isTelemetryStarted,
  type ShutdownTelemetryOptions,
  shutdownTelemetry,
} from './telemetry/telemetry-handle';
export { type BullmqSpan, type BullmqTelemetry, bullmqTelemetry } from './tracing/bullmq-telemetry';
export { type RootSpanOptions, recordError, withRootSpan } from './tracing/root-span';
export {
  ATTR,
  MESSAGING_SYSTEM_REDIS,
  type MessagingOperation,
  messagingSpanName,
  SPAN,
  TRACER_NAME,
} from './tracing/semantic-names';
export {
  extractContext,
  injectTraceparent,
  linksFromCarriers,
  type TraceCarrier,
} from './tracing/trace-context';
