import { hostname } from 'node:os';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type DestinationStream, type Level, type Logger, pino } from 'pino';
import { REDACT_PATHS, REDACTED } from './redaction';
import { currentRequestId } from './request-context';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The `service` field of every line, e.g. `redwire-user` (use the OTel `service.name`). */
  service: string;
  /**
   * Minimum level written.
   * @default 'info'
   */
  level?: Level | 'silent';
  /**
   * Where lines go (tests pass a stream to capture them).
   * @default stdout, written synchronously so a crash loses no lines
   */
  destination?: DestinationStream;
  /**
   * Extra pino redact paths, on top of the built-in secret fields (passwords, tokens, authorization,
   * cookies, X-Redwire-Identity).
   * @default []
   */
  redactPaths?: readonly string[];
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * Adds trace ids and the request id to every line. It reads the active span itself rather than relying
 * on instrumentation-pino, so correlation also works without the preload (tests, ESM); when both run,
 * the instrumentation's fields are identical and pino merges them into one object.
 */
function correlationFields(): Record<string, string> {
  const fields: Record<string, string> = {};
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (spanContext && isSpanContextValid(spanContext)) {
    fields.trace_id = spanContext.traceId;
    fields.span_id = spanContext.spanId;
    fields.trace_flags = `0${spanContext.traceFlags.toString(16)}`;
  }
  const requestId = currentRequestId();
  if (requestId !== undefined) fields.request_id = requestId;
  return fields;
}

/**
 * The process's JSON logger: ISO time, level label, `service`, and on every line written inside a span
 * or a request `trace_id`/`span_id`/`trace_flags` and `request_id`. Secrets are redacted; still, never
 * log a token, a password or a whole request body on purpose.
 */
export function createLogger(options: LoggerOptions): Logger {
  if (typeof options.service !== 'string' || options.service.trim() === '') {
    throw new TypeError('createLogger: service must be a non-empty string');
  }
  const level = options.level ?? 'info';
  if (!LEVELS.has(level)) throw new TypeError(`createLogger: unknown level "${String(level)}"`);
  return pino(
    {
      level,
      base: { service: options.service, pid: process.pid, hostname: hostname() },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: correlationFields,
      redact: { paths: [...REDACT_PATHS, ...(options.redactPaths ?? [])], censor: REDACTED },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
