// The measured run of `npm run scaling`: real library calls and real service processes against the suite's
// own redis-server and PostgreSQL, with Redis's own counters read around each run.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { newRoutingTag, SessionReader, SessionStore } from '@redwire/sessions';
import autocannon from 'autocannon';
import { runClosedLoop } from '../bench/core/closed-loop.driver';
import { promCounter } from '../bench/core/prom-text';
import { startProfileCache } from '../bench/parts/cache.part';
import { startGateway } from '../bench/parts/gateway.part';
import { createLimiter } from '../bench/parts/limiter.part';
import { closeClient, readyRequestClient } from '../bench/parts/request-client';
import { seedUsers, sharedUserRuntime, userEntries, userServiceEnv } from '../bench/parts/user.part';
import { BenchStack } from '../bench/stack/bench-stack';
import { processCpuSeconds } from './process-cpu';
import { type Measured, RedisMeter } from './redis-meter';
import { perOperation } from './redis-stats';
import type { OperationResult, RequestResult, ScalingReport, ScalingSettings } from './scaling.types';

/** Identities the limiter cycles through (quotas never reached: every decision is a full allow). */
const LIMITER_IDENTITIES = 10_000;
/** Sessions the session checks cycle through. */
const SESSIONS = 200;
/** Concurrent writers (each write is a PostgreSQL transaction; more only queues on the pool). */
const WRITERS = 8;
const INVALIDATIONS_METRIC = 'redwire_user_cache_invalidations_total';

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The per-operation result of a measured in-process run. */
function operation(
  meta: { id: string; label: string; description: string },
  measured: Measured,
  ops: number,
  outcome: { errors: number; firstError?: string | undefined },
  postgres = false,
): OperationResult {
  return {
    ...meta,
    durationS: round(measured.elapsedS, 2),
    opsPerSec: round(ops / measured.elapsedS, 0),
    errors: outcome.errors,
    ...(outcome.firstError ? { firstError: outcome.firstError } : {}),
    redis: perOperation(measured.redis, ops),
    backgroundCpuUsec: round((measured.backgroundCpuSeconds * 1e6) / ops, 2),
    callerCpuUsec: round((measured.callerCpuSeconds * 1e6) / ops, 1),
    ...(postgres ? { postgresCpuUsec: round((measured.postgresCpuSeconds * 1e6) / ops, 1) } : {}),
  };
}

/** Runs every measurement; stops everything it started before it returns or throws. */
export async function runScaling(
  settings: ScalingSettings,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<ScalingReport> {
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  log('starting redis-server and PostgreSQL');
  const stack = await BenchStack.start();
  const onAbort = () => void stack.close();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const entries = userEntries();
    if (!entries.main || !entries.worker) throw new Error(`not built: ${entries.missing}`);
    const admin = stack.plainRedis();
    const meter = new RedisMeter(admin, {
      quietS: settings.quietS,
      ...(stack.postgresPid ? { postgresPid: stack.postgresPid } : {}),
    });
    const loop = async (op: () => Promise<void>) =>
      runClosedLoop(op, { callers: settings.callers, durationMs: settings.libraryDurationS * 1000 });
    const operations: OperationResult[] = [];
    const check = () => {
      signal.throwIfAborted();
      stack.checkAlive();
    };

    // Limiter: two policies per decision (per-user and per-IP GCRA), as a signed-in request.
    for (const maxBatch of [16, 1]) {
      check();
      const limiter = await createLimiter(stack, {
        namespace: `scaling-rl-${maxBatch}`,
        limit: 1_000_000,
        period: 60,
        maxBatch,
      });
      let next = 0;
      let sample: Awaited<ReturnType<typeof loop>> | undefined;
      const decide = async () => {
        next = (next + 1) % LIMITER_IDENTITIES;
        const { outcome, source } = await limiter.decide(next);
        if (outcome !== 'allowed' || source !== 'redis') throw new Error(`${outcome} (${source})`);
      };
      await loop(decide); // warm-up: the script loaded, keys created
      const measured = await meter.measure(async () => {
        sample = await loop(decide);
      });
      const coalesced = maxBatch > 1;
      operations.push(
        operation(
          {
            id: coalesced ? 'limiter' : 'limiter-unbatched',
            label: `limiter decision, 2 policies${coalesced ? ' (coalesced)' : ', no coalescing'}`,
            description: `@redwire/ratelimit RateLimiter.limit() over a per-user and a per-IP policy, maxBatch ${maxBatch}${coalesced ? ' (its default: the decisions of one event-loop turn share one EVALSHA)' : ' (one EVALSHA per decision)'}`,
          },
          measured,
          sample?.ops ?? 0,
          sample ?? { errors: 0 },
        ),
      );
      log(`${operations.at(-1)?.label}: ${operations.at(-1)?.redis.cpuUsec} µs Redis CPU`);
    }

    // Session checks: SessionReader.validate() on real sessions created through SessionStore.
    const sessionsNamespace = 'scaling-s';
    const tokens: string[] = [];
    {
      const redis = await readyRequestClient(stack.redisUrl, 'scaling-auth');
      try {
        const store = new SessionStore({ redis, namespace: sessionsNamespace });
        for (let i = 0; i < SESSIONS; i++) {
          const created = await store.create(
            {
              userId: `0195f1c2-7a3b-7cde-8f01-${i.toString(16).padStart(12, '0')}`,
              tag: newRoutingTag(),
              authVersion: 1,
              revision: 1,
              role: 'user',
              tier: 'free',
            },
            { userAgent: 'scaling', ip: '127.0.0.1' },
          );
          if (!created.created) throw new Error(`session not created: ${created.reason}`);
          tokens.push(created.token);
        }
      } finally {
        await closeClient(redis);
      }
    }
    for (const maxBatch of [16, 1]) {
      check();
      const redis = await readyRequestClient(stack.redisUrl, 'scaling-gateway');
      const reader = new SessionReader({ redis, namespace: sessionsNamespace, maxBatch });
      stack.onClose(async () => {
        reader.close();
        await closeClient(redis);
      });
      let next = 0;
      const validate = async () => {
        next = (next + 1) % tokens.length;
        const result = await reader.validate(tokens[next] as string);
        if (!result.valid) throw new Error(`session invalid: ${result.reason}`);
      };
      await loop(validate);
      let sample: Awaited<ReturnType<typeof loop>> | undefined;
      const measured = await meter.measure(async () => {
        sample = await loop(validate);
      });
      const coalesced = maxBatch > 1;
      operations.push(
        operation(
          {
            id: coalesced ? 'session' : 'session-unbatched',
            label: `session check${coalesced ? ' (coalesced)' : ', no coalescing'}`,
            description: `@redwire/sessions SessionReader.validate() of one of ${SESSIONS} live sessions, maxBatch ${maxBatch} (touch at most once a minute per session, as by default)`,
          },
          measured,
          sample?.ops ?? 0,
          sample ?? { errors: 0 },
        ),
      );
      log(`${operations.at(-1)?.label}: ${operations.at(-1)?.redis.cpuUsec} µs Redis CPU`);
    }

    // Cache: L2 hits (coalesced into MGETs, and one GET each), then misses that load from PostgreSQL.
    log('seeding users through the user service');
    const readIds = await seedUsers(stack, 'reads');
    for (const maxReadBatch of [undefined, 1]) {
      check();
      const cache = await startProfileCache(stack, { l1: false, namespace: 'scaling', maxReadBatch });
      await Promise.all(readIds.map((id) => cache.get(id))); // fills (or finds) every entry
      let next = 0;
      const hit = async () => {
        next = (next + 1) % readIds.length;
        const read = await cache.get(readIds[next] as string);
        if (read.status !== 'HIT') throw new Error(`${read.status} on the hit path`);
      };
      await loop(hit);
      let sample: Awaited<ReturnType<typeof loop>> | undefined;
      const measured = await meter.measure(async () => {
        sample = await loop(hit);
      });
      const coalesced = maxReadBatch === undefined;
      operations.push(
        operation(
          {
            id: coalesced ? 'cache-hit' : 'cache-hit-unbatched',
            label: `cache hit, L2${coalesced ? ' (coalesced)' : ', no coalescing'}`,
            description: `@redwire/cache EntityCache.get() of a cached user (L1 off), ${coalesced ? 'default maxReadBatch (the GETs of one turn leave as one MGET)' : 'maxReadBatch 1 (one GET per read)'}`,
          },
          measured,
          sample?.ops ?? 0,
          sample ?? { errors: 0 },
        ),
      );
      log(`${operations.at(-1)?.label}: ${operations.at(-1)?.redis.cpuUsec} µs Redis CPU`);
    }
    {
      check();
      const cache = await startProfileCache(stack, { l1: false, namespace: 'scaling-miss' });
      let misses = 0;
      let errors = 0;
      let firstError: string | undefined;
      const windows = Math.max(1, Math.ceil(settings.misses / readIds.length));
      const measured = await meter.measure(
        async () => {
          const reads = await Promise.all(readIds.map((id) => cache.get(id)));
          for (const read of reads) {
            if (read.status === 'MISS') misses++;
            else {
              errors++;
              firstError ??= `${read.status} on the miss path`;
            }
          }
        },
        {
          windows,
          // Unmeasured: every entry dropped, so each read of the window misses and loads.
          between: async () => {
            await Promise.all(readIds.map((id) => cache.invalidate(id, 0)));
          },
        },
      );
      operations.push(
        operation(
          {
            id: 'cache-miss',
            label: 'cache miss (load from PostgreSQL, fill)',
            description: `EntityCache.get() after the entry was invalidated: lease, SELECT by primary key, fill; ${readIds.length} concurrent reads per window, ${windows} windows`,
          },
          measured,
          misses + errors,
          { errors, firstError },
          true,
        ),
      );
      log(
        `cache miss: ${operations.at(-1)?.redis.cpuUsec} µs Redis CPU, ${operations.at(-1)?.postgresCpuUsec} µs PostgreSQL CPU`,
      );
    }

    // Writes: UserService.update() (commit, sync invalidation) with the worker relaying the outbox to the
    // user-events stream and its consumer applying the event invalidation; measured until it has.
    {
      check();
      const writeIds = await seedUsers(stack, 'writes');
      const runtime = await sharedUserRuntime(stack);
      const worker = await stack.startService('user worker', entries.worker, (port) =>
        userServiceEnv(stack, { METRICS_PORT: String(port) }),
      );
      const eventInvalidations = async () =>
        promCounter(await (await fetch(`${worker.url}/metrics`)).text(), INVALIDATIONS_METRIC, {
          path: 'event',
        });
      let counter = 0;
      let writes = 0;
      let errors = 0;
      let firstError: string | undefined;
      const write = async () => {
        const id = writeIds[counter++ % writeIds.length] as string;
        const result = await runtime.service.update(id, { bio: `scaling write ${counter}` }, undefined);
        if (result.kind !== 'updated') throw new Error(`update answered ${result.kind}`);
      };
      // Warm-up: the relay and the consumer have run once.
      await Promise.all(writeIds.slice(0, 10).map(() => write()));
      await sleep(1000);
      let drained = true;
      const measured = await meter.measure(async () => {
        const before = await eventInvalidations();
        const sample = await runClosedLoop(write, {
          callers: WRITERS,
          durationMs: settings.libraryDurationS * 1000,
        });
        writes = sample.ops;
        errors = sample.errors;
        firstError = sample.firstError;
        const deadline = Date.now() + 15_000;
        while ((await eventInvalidations()) - before < writes) {
          if (Date.now() > deadline) {
            drained = false;
            break;
          }
          await sleep(50);
        }
      });
      if (!drained) {
        errors++;
        firstError ??= 'the worker had not applied every event invalidation within 15 s';
      }
      operations.push(
        operation(
          {
            id: 'write',
            label: 'write: invalidation + stream event',
            description:
              'UserService.update() (what PATCH /users/:id runs): PostgreSQL transaction with its outbox row, sync invalidation, then the worker: outbox relay XADD to user-events, the user-cache consumer applying the event invalidation and acknowledging',
          },
          measured,
          writes,
          { errors, firstError },
          true,
        ),
      );
      log(
        `write: ${operations.at(-1)?.redis.cpuUsec} µs Redis CPU, ${operations.at(-1)?.postgresCpuUsec} µs PostgreSQL CPU`,
      );
    }

    // Service processes under a fixed rate: the gateway (session + 2 policies + proxy), the user service.
    const requests: RequestResult[] = [];
    const fixedRate = async (
      meta: { id: string; label: string; description: string },
      target: {
        url: string;
        headers?: Readonly<Record<string, string>>;
        pid: number | undefined;
        /** Paths to cycle through (else the URL's own). */
        paths?: readonly string[];
      },
    ) => {
      check();
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
      if (answered === 0)
        throw new Error(`${meta.label}: no request answered (${firstError ?? 'no response'})`);
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
      requests.push(entry);
      log(
        `${meta.label}: ${entry.cpuUsecPerRequest} µs Node CPU, ${entry.redis.cpuUsec} µs Redis CPU per request`,
      );
    };

    const backend = await stack.startTarget('bare', {});
    const gateway = await startGateway(stack, backend.url);
    await fixedRate(
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
    );
    const readId = readIds[0] as string;
    const userPaths = readIds.map((id) => `/users/${id}`);
    for (const l1 of [false, true]) {
      const { url, service } = await stack.startService(
        `user service${l1 ? ' (L1)' : ''}`,
        entries.main,
        (port) => userServiceEnv(stack, { PORT: String(port), USER_CACHE_L1: l1 ? 'true' : 'false' }),
      );
      const warm = await fetch(`${url}/users/${readId}`);
      if (warm.status !== 200) throw new Error(`GET /users/:id answered ${warm.status}`);
      await fixedRate(
        {
          id: l1 ? 'user-hit-l1' : 'user-hit-l2',
          label: `user service, cache hit (${l1 ? 'L1' : 'L2'})`,
          description: `services/user/dist/main.js GET /users/:id of a cached user, USER_CACHE_L1=${l1}, cycling over ${readIds.length} cached users; logs at error`,
        },
        { url: `${url}/users/${readId}`, pid: service.pid, paths: userPaths },
      );
    }

    const versions = await stack.versions();
    const cpus = os.cpus();
    return {
      kind: 'scaling',
      startedAt: startedAt.toISOString(),
      wallS: round((Date.now() - startedAt.getTime()) / 1000, 0),
      machine: {
        cpus: cpus.length,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        loadAverage: { start: round(loadStart, 2), end: round(os.loadavg()[0] ?? 0, 2) },
        node: process.version,
        ...versions,
      },
      settings,
      operations,
      requests,
    };
  } finally {
    signal.removeEventListener('abort', onAbort);
    await stack.close();
  }
}
