import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { expressRoute, UNMATCHED_ROUTE } from './route-label';

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Value of the `service` label on every series, e.g. `redwire-user`. */
  service: string;
  /**
   * Latency buckets in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  buckets?: readonly number[];
  /**
   * Route label for requests Express did not route (`req.route` unset), e.g. the gateway's proxied
   * prefixes. Must return a bounded set of values; `undefined` means {@link UNMATCHED_ROUTE}.
   * @default () => undefined
   */
  resolveRoute?: (req: Request) => string | undefined;
  /**
   * Collect prom-client's default process metrics (CPU, memory, event-loop lag, GC, handles).
   * @default true
   */
  defaultMetrics?: boolean;
}

/** A service's metrics: its registry, the HTTP server middleware and the `/metrics` handler. */
export interface Metrics {
  /** Register the service's own metrics here (`registers: [metrics.registry]`). */
  readonly registry: Registry;
  /**
   * Records `http_server_request_duration_seconds{method,route,status}` (its `_count` is the request
   * count) and `http_server_active_requests{method}`. Mount it first so it times the whole request.
   */
  readonly httpMetrics: RequestHandler;
  /** Serves the registry in the Prometheus text format; mount on `GET /metrics` (internal port only). */
  readonly metricsHandler: RequestHandler;
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Label of requests whose client went away before the response was sent (nginx's convention). */
export const CLIENT_CLOSED_STATUS = '499';

/**
 * A prom-client registry with a `service` default label and default process metrics, plus HTTP
 * metrics labelled by method, route pattern (never the raw URL) and status.
 */
export function createMetrics(options: MetricsOptions): Metrics {
  if (typeof options.service !== 'string' || options.service.trim() === '') {
    throw new TypeError('createMetrics: service must be a non-empty string');
  }
  const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)];
  if (buckets.length === 0 || buckets.some((b, i) => !(b > 0) || (i > 0 && b <= (buckets[i - 1] ?? 0)))) {
    throw new TypeError('createMetrics: buckets must be positive and strictly increasing');
  }
  const resolveRoute = options.resolveRoute ?? (() => undefined);

  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests, by method, Express route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets,
    registers: [registry],
  });
  const active = new Gauge({
    name: 'http_server_active_requests',
    help: 'HTTP server requests in flight.',
    labelNames: ['method'] as const,
    registers: [registry],
  });

  const httpMetrics: RequestHandler = (req, res, next) => {
    const method = req.method;
    const end = duration.startTimer();
    active.inc({ method });
    // 'close' fires for finished and aborted responses alike; 'finish' alone would leak the gauge.
    res.once('close', () => {
      active.dec({ method });
      const route = expressRoute(req) ?? resolveRoute(req) ?? UNMATCHED_ROUTE;
      const status = res.writableFinished ? String(res.statusCode) : CLIENT_CLOSED_STATUS;
      end({ method, route, status });
    });
    next();
  };

  const metricsHandler: RequestHandler = async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  };

  return { registry, httpMetrics, metricsHandler };
}
