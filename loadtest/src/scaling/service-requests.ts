// Service processes under a fixed request rate: Node CPU per request from /proc, Redis's counters around.
import autocannon from 'autocannon';
import { startGateway } from '../bench/parts/gateway.part';
import { userServiceEnv } from '../bench/parts/user.part';
import { type MeasureContext, round } from './library-operations';
import { processCpuSeconds } from './process-cpu';
import { perOperation } from './redis-stats';
import type { RequestResult } from './scaling.types';

/** A service process to offer load to. */
export interface FixedRateTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly pid: number | undefined;
  /** Paths to cycle through (else the URL's own). */
  readonly paths?: readonly string[];
}

/**
 * Offers `settings.httpRate` requests/s to `target` for `settings.httpDurationS` (autocannon, 16 keep-alive
 * connections) after a warm-up, and divides the process's CPU and Redis's by the requests answered 200.
 */
export async function measureAtFixedRate(
  ctx: MeasureContext,
  meta: { readonly id: string; readonly label: string; readonly description: string },
  target: FixedRateTarget,
): Promise<RequestResult> {
  const { meter, settings } = ctx;
  ctx.check();
  const pid = target.pid;
  if (!pid) throw new Error(`${meta.label}: no pid`);
  const paths = target.paths;
  let turn = 0;
  const nextPath = () => (paths ? (paths[turn++ % paths.length] as string) : '/');
  const offer = () =>
    autocannon({
      url: target.url,
      headers: { ...(target.headers ?? {}) },
      connections: 16,
      pipelining: 1,
      overallRate: settings.httpRate,
      duration: settings.httpDurationS,
      timeout: 10,
      ...(paths ? { requests: [{ setupRequest: (request) => ({ ...request, path: nextPath() }) }] } : {}),
      setupClient: (client) => {
        client.on('response', (status: number) => {
          if (status !== 200) {
            unexpected++;
            firstError ??= `HTTP ${status}`;
          }
        });
      },
    });
  let unexpected = 0;
  let firstError: string | undefined;
  // Warm-up: every path read once (a cache entry per user in L2, in L1 when on), then a second of load.
  for (const p of paths ?? [])
    await fetch(new URL(p, target.url), { headers: { ...(target.headers ?? {}) } });
  await autocannon({
    url: target.url,
    headers: { ...(target.headers ?? {}) },
    duration: 1,
    connections: 4,
  });
  unexpected = 0;
  let result: autocannon.Result | undefined;
  let cpuSeconds = 0;
  const measured = await meter.measure(async () => {
    const cpu0 = processCpuSeconds(pid);
    result = await offer();
    cpuSeconds = processCpuSeconds(pid) - cpu0;
  });
  if (!result) throw new Error('no autocannon result');
  const answered = Math.max(0, result.requests.total - unexpected);
  if (answered === 0) throw new Error(`${meta.label}: no request answered (${firstError ?? 'no response'})`);
  const entry: RequestResult = {
    ...meta,
    durationS: round(measured.elapsedS, 2),
    offeredRps: settings.httpRate,
    achievedRps: round(answered / measured.elapsedS, 0),
    errors: unexpected + result.errors + result.timeouts,
    ...(firstError ? { firstError } : {}),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    cpuUsecPerRequest: round((cpuSeconds * 1e6) / answered, 0),
    coreShare: round(cpuSeconds / measured.elapsedS, 3),
    redis: perOperation(measured.redis, answered),
  };
  ctx.log(
    `${meta.label}: ${entry.cpuUsecPerRequest} µs Node CPU, ${entry.redis.cpuUsec} µs Redis CPU per request`,
  );
  return entry;
}

/** The gateway in front of a bare backend, then the user service serving cached profiles (L2, then L1). */
export async function measureServices(
  ctx: MeasureContext,
  userEntry: string,
  readIds: readonly string[],
): Promise<RequestResult[]> {
  const { stack } = ctx;
  const requests: RequestResult[] = [];
  const backend = await stack.startTarget('bare', {});
  const gateway = await startGateway(stack, backend.url);
  requests.push(
    await measureAtFixedRate(
      ctx,
      {
        id: 'gateway',
        label: 'gateway, signed-in GET',
        description:
          'services/gateway/dist/main.js: session check, 2 rate-limit policies, signed identity, proxy to a bare backend (its CPU not counted); logs at error, no OpenTelemetry',
      },
      {
        url: `${gateway.url}/users/0195f1c2-7a3b-7cde-8f01-23456789abcd`,
        headers: gateway.headers,
        pid: gateway.pid,
      },
    ),
  );
  const readId = readIds[0] as string;
  const userPaths = readIds.map((id) => `/users/${id}`);
  for (const l1 of [false, true]) {
    const { url, service } = await stack.startService(`user service${l1 ? ' (L1)' : ''}`, userEntry, (port) =>
      userServiceEnv(stack, { PORT: String(port), USER_CACHE_L1: l1 ? 'true' : 'false' }),
    );
    const warm = await fetch(`${url}/users/${readId}`);
    if (warm.status !== 200) throw new Error(`GET /users/:id answered ${warm.status}`);
    requests.push(
      await measureAtFixedRate(
        ctx,
        {
          id: l1 ? 'user-hit-l1' : 'user-hit-l2',
          label: `user service, cache hit (${l1 ? 'L1' : 'L2'})`,
          description: `services/user/dist/main.js GET /users/:id of a cached user, USER_CACHE_L1=${l1}, cycling over ${readIds.length} cached users; logs at error`,
        },
        { url: `${url}/users/${readId}`, pid: service.pid, paths: userPaths },
      ),
    );
  }
  return requests;
}
