import type { RequestHandler } from 'express';
import type { Logger } from './logger';
import { silentLogger } from './logger';

/** Status of one check or of the whole service. */
export type HealthStatus = 'ok' | 'degraded' | 'down';

/** What a check may report besides passing: `degraded` (servable, reduced) and extra JSON-safe details. */
export interface CheckReport {
  readonly status?: 'ok' | 'degraded';
  readonly [detail: string]: unknown;
}

/**
 * One readiness check. `run` resolves when the dependency is usable (optionally reporting `degraded` and
 * details) and rejects when it is not. It receives an AbortSignal that fires at the deadline; honour it
 * where the driver allows, though the deadline holds either way.
 */
export interface ReadinessCheck {
  readonly run: (signal: AbortSignal) => Promise<CheckReport | undefined>;
  /**
   * A failing critical check makes the service unready (503); a failing non-critical one only degrades it.
   * @default true
   */
  readonly critical?: boolean;
  /**
   * Deadline for this check in ms.
   * @default the handler's `timeoutMs`
   */
  readonly timeoutMs?: number;
}

/** The result of one check in the readiness body. */
export interface CheckResult {
  readonly status: HealthStatus;
  readonly latencyMs: number;
  /** Why a check is down: `timeout` or `error` (the cause goes to the log, not the body). */
  readonly error?: 'timeout' | 'error';
  readonly [detail: string]: unknown;
}

/** The `/readyz` body of docs/api.md. */
export interface ReadinessBody {
  readonly status: HealthStatus;
  /** Present (true) once shutdown started: the process finishes its in-flight requests and takes no new ones. */
  readonly draining?: true;
  readonly checks: Record<string, CheckResult>;
}

/** Options of {@link readinessHandler}. */
export interface ReadinessOptions {
  /** Named checks, reported under their names (`redis`, `postgres`, …). */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
  /**
   * Default deadline per check in ms.
   * @default 1000
   */
  readonly timeoutMs?: number;
  /**
   * Reports the service as down while it drains, so load balancers stop sending it traffic
   * (pass `shutdown.isShuttingDown`).
   * @default () => false
   */
  readonly isShuttingDown?: () => boolean;
  /** Receives failing checks with their cause. @default silent */
  readonly logger?: Logger;
}

/** Liveness: 200 `{status: "ok"}` while the process can answer at all. It checks no dependency on purpose. */
export function healthzHandler(): RequestHandler {
  return (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  };
}

class CheckTimeout extends Error {}

async function runCheck(name: string, check: ReadinessCheck, defaultTimeoutMs: number, logger: Logger) {
  const timeoutMs = check.timeoutMs ?? defaultTimeoutMs;
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CheckTimeout());
    }, timeoutMs);
  });
  const started = performance.now();
  try {
    const report = await Promise.race([check.run(controller.signal), deadline]);
    const latencyMs = Math.round(performance.now() - started);
    return { ...report, status: report?.status ?? 'ok', latencyMs } satisfies CheckResult;
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    const error = err instanceof CheckTimeout ? 'timeout' : 'error';
    logger.warn({ err, check: name, latencyMs }, `readiness check ${name} failed: ${error}`);
    return { status: 'down', latencyMs, error } satisfies CheckResult;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs every check concurrently, each under its deadline, and combines them: any critical check down →
 * `down`; else any check degraded or a non-critical one down → `degraded`; else `ok`.
 */
export async function runReadiness(options: ReadinessOptions): Promise<ReadinessBody> {
  const timeoutMs = options.timeoutMs ?? 1000;
  const logger = options.logger ?? silentLogger;
  const entries = Object.entries(options.checks);
  const results = await Promise.all(entries.map(([name, check]) => runCheck(name, check, timeoutMs, logger)));
  const checks: Record<string, CheckResult> = {};
  let status: HealthStatus = 'ok';
  entries.forEach(([name, check], i) => {
    const result = results[i] as CheckResult;
    checks[name] = result;
    if (result.status === 'down' && check.critical !== false) status = 'down';
    else if (result.status !== 'ok' && status === 'ok') status = 'degraded';
  });
  return { status, checks };
}

/**
 * `/readyz` per docs/api.md: 200 with `{status: "ok" | "degraded", checks}` when the service can serve, 503 with
 * the same body (`status: "down"`) when it cannot or is shutting down. Concurrent probes share one run, so
 * a burst of probes cannot multiply the load on a struggling dependency.
 */
export function readinessHandler(options: ReadinessOptions): RequestHandler {
  for (const [name, check] of Object.entries(options.checks)) {
    const t = check.timeoutMs ?? options.timeoutMs ?? 1000;
    if (!(t > 0)) throw new RangeError(`readinessHandler: check ${name} needs a positive timeoutMs`);
  }
  const isShuttingDown = options.isShuttingDown ?? (() => false);
  let inFlight: Promise<ReadinessBody> | undefined;
  return async (_req, res) => {
    let body: ReadinessBody;
    if (isShuttingDown()) {
      body = { status: 'down', draining: true, checks: {} };
    } else {
      inFlight ??= runReadiness(options).finally(() => {
        inFlight = undefined;
      });
      body = await inFlight;
    }
    res.status(body.status === 'down' ? 503 : 200);
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  };
}
