import autocannon from 'autocannon';
import type { ThroughputSample } from './bench.types';

/** One HTTP request shape to repeat. */
export interface HttpLoadRequest {
  /** Absolute URL (scheme, host, port, path). */
  readonly url: string;
  /** @default 'GET' */
  readonly method?: 'GET' | 'POST';
  /** @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** Status every response must have; others count as errors. @default 200 */
  readonly expectStatus?: number;
}

/** Options of {@link runHttpLoad}. */
export interface HttpLoadOptions {
  /** Concurrent keep-alive connections (docs/measurements.md anchors: 50). */
  readonly connections: number;
  /** How long to send, in ms. */
  readonly durationMs: number;
}

/**
 * Closed-model HTTP load with autocannon (keep-alive, no pipelining). Throughput counts only responses
 * with the expected status; anything else (other statuses, connection errors, timeouts) is an error.
 */
export async function runHttpLoad(
  request: HttpLoadRequest,
  options: HttpLoadOptions,
): Promise<ThroughputSample> {
  const expected = request.expectStatus ?? 200;
  let unexpected = 0;
  let firstError: string | undefined;
  const result = await autocannon({
    url: request.url,
    method: request.method ?? 'GET',
    headers: { ...(request.headers ?? {}) },
    connections: options.connections,
    pipelining: 1,
    duration: options.durationMs / 1000,
    timeout: 10,
    setupClient: (client) => {
      client.on('response', (statusCode: number) => {
        if (statusCode !== expected) {
          unexpected++;
          firstError ??= `HTTP ${statusCode} (expected ${expected})`;
        }
      });
    },
  });
  const completed = Math.max(0, result.requests.total - unexpected);
  const errors = unexpected + result.errors + result.timeouts;
  if (result.errors > 0) firstError ??= `${result.errors} connection errors`;
  return {
    opsPerSec: result.duration > 0 ? completed / result.duration : 0,
    ops: completed,
    errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    ...(firstError ? { firstError } : {}),
  };
}
