import { DiagLogLevel, diag } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { throttledDiagLogger } from './diag-logger';
import { selectInstrumentations } from './instrumentations';
import { registerTelemetryHandle, type TelemetryHandle, telemetryHandle } from './telemetry-handle';

type Env = Readonly<Record<string, string | undefined>>;

const isSet = (value: string | undefined) => value !== undefined && value.trim() !== '';

/** True when `OTEL_SDK_DISABLED` says so, with the SDK's own parsing (case-insensitive "true"). */
export function sdkDisabled(env: Env): boolean {
  return env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/**
 * Whether spans should leave the process. The OTLP exporter would otherwise default to
 * localhost:4318 and fail every 5 s on machines without a collector; an explicit endpoint or an explicit
 * `OTEL_TRACES_EXPORTER` (console, zipkin, otlp, none) is the opt-in.
 */
export function tracesExportConfigured(env: Env): boolean {
  return (
    isSet(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ||
    isSet(env.OTEL_EXPORTER_OTLP_ENDPOINT) ||
    isSet(env.OTEL_TRACES_EXPORTER)
  );
}

/**
 * Starts the OTel NodeSDK from the standard `OTEL_*` variables and registers its shutdown handle.
 *
 * - Exporter, protocol (`http/protobuf` default, `http/json`, `grpc`), endpoint, headers, timeouts and
 *   batch settings are left to the SDK's env handling, so every documented variable works as documented.
 * - Without an endpoint, spans are still created (trace ids in logs, `traceparent` forwarded to the next
 *   hop) but dropped by a no-op processor instead of failing exports.
 * - OTel metrics and logs are off: metrics are prom-client's job, logs go to stdout through pino.
 * - No signal handlers: services flush through `shutdownTelemetry()` in their own graceful shutdown;
 *   `beforeExit` covers scripts whose event loop simply drains.
 */
export function startTelemetry(env: Env): TelemetryHandle | undefined {
  // A second preload (e.g. --require given twice) must not start a second SDK that nobody flushes.
  if (sdkDisabled(env) || telemetryHandle()) return undefined;
  if (!isSet(env.OTEL_LOG_LEVEL)) diag.setLogger(throttledDiagLogger(), DiagLogLevel.WARN);

  const sdk = new NodeSDK({
    instrumentations: selectInstrumentations(env),
    metricReaders: [],
    logRecordProcessors: [],
    ...(tracesExportConfigured(env) ? {} : { spanProcessors: [new NoopSpanProcessor()] }),
  });
  sdk.start();

  let stopping: Promise<void> | undefined;
  const handle: TelemetryHandle = {
    shutdown: () => {
      stopping ??= sdk.shutdown();
      return stopping;
    },
  };
  registerTelemetryHandle(handle);
  process.once('beforeExit', () => void handle.shutdown().catch(() => {}));
  return handle;
}
