/**
 * The bridge between the preload (which owns the OTel SDK) and the services (which only import the
 * package index). It lives on a `Symbol.for` global key, not in a module variable, because the preload
 * and the service may load different copies of this package (dist vs. a bundler or vitest source), and
 * the service must still find the SDK it has to flush.
 */
const HANDLE_KEY = Symbol.for('redwire.observability.telemetry');

/** What the preload registers: something that flushes and stops the SDK. */
export interface TelemetryHandle {
  /** Flushes pending spans and stops the SDK; idempotent. */
  shutdown(): Promise<void>;
}

type GlobalWithHandle = typeof globalThis & { [HANDLE_KEY]?: TelemetryHandle };

/** Registers the SDK handle that {@link shutdownTelemetry} flushes. */
export function registerTelemetryHandle(handle: TelemetryHandle): void {
  (globalThis as GlobalWithHandle)[HANDLE_KEY] = handle;
}

/** The registered handle, if the preload ran in this process. */
export function telemetryHandle(): TelemetryHandle | undefined {
  return (globalThis as GlobalWithHandle)[HANDLE_KEY];
}

/** Whether the preload started the OTel SDK in this process (false without it or when disabled). */
export function isTelemetryStarted(): boolean {
  return telemetryHandle() !== undefined;
}

/** Options of {@link shutdownTelemetry}. */
export interface ShutdownTelemetryOptions {
  /**
   * Upper bound on the flush; an unreachable collector must not hold up process exit.
   * @default 5000
   */
  timeoutMs?: number;
}

/**
 * Flushes the spans still buffered by the preloaded SDK and stops it. Call it last in graceful shutdown,
 * after the HTTP server, workers and Redis/PostgreSQL clients are closed, so their final spans are
 * exported. Resolves (never rejects) within `timeoutMs`, and is a no-op when the preload did not run.
 * @returns `true` when the flush finished in time (or there was nothing to flush), `false` otherwise.
 */
export async function shutdownTelemetry(options: ShutdownTelemetryOptions = {}): Promise<boolean> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0)
    throw new RangeError('timeoutMs must be a finite number ≥ 0');
  const handle = telemetryHandle();
  if (!handle) return true;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([
      handle.shutdown().then(
        () => true,
        () => false,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
