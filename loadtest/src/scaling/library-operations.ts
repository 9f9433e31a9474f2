// The library operations `npm run scaling` measures: real calls of @redwire/ratelimit, @redwire/sessions,
// @redwire/cache and the user service's write path, each run with Redis's counters read around it.
import { setTimeout as sleep } from 'node:timers/promises';
import { newRoutingTag, SessionReader, SessionStore } from '@redwire/sessions';
import { runClosedLoop } from '../bench/core/closed-loop.driver';
import { promCounter } from '../bench/core/prom-text';
import { startProfileCache } from '../bench/parts/cache.part';
import { createLimiter } from '../bench/parts/limiter.part';
import { closeClient, readyRequestClient } from '../bench/parts/request-client';
import { seedUsers, sharedUserRuntime, userServiceEnv } from '../bench/parts/user.part';
import type { BenchStack } from '../bench/stack/bench-stack';
import type { Measured, RedisMeter } from './redis-meter';
import { perOperation } from './redis-stats';
import type { OperationResult, ScalingSettings } from './scaling.types';

/** Identities the limiter cycles through (quotas never reached: every decision is a full allow). */
const LIMITER_IDENTITIES = 10_000;
/** Sessions the session checks cycle through. */
const SESSIONS = 200;
/** Concurrent writers (each write is a PostgreSQL transaction; more only queues on the pool). */
const WRITERS = 8;
const INVALIDATIONS_METRIC = 'redwire_user_cache_invalidations_total';

/** What every measurement gets from the run. */
export interface MeasureContext {
  readonly stack: BenchStack;
  readonly meter: RedisMeter;
  readonly settings: ScalingSettings;
  readonly log: (line: string) => void;
  /** Throws when the run was interrupted or the suite's servers died. */
  check(): void;
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The closed loop of the library runs. */
function loopOf(ctx: MeasureContext) {
  return (op: () => Promise<void>) =>
    runClosedLoop(op, { callers: ctx.settings.callers, durationMs: ctx.settings.libraryDurationS * 1000 });
}

type LoopSample = Awaited<ReturnType<ReturnType<typeof loopOf>>>;

function logged(ctx: MeasureContext, result: OperationResult): OperationResult {
  ctx.log(
    `${result.label}: ${result.redis.cpuUsec} µs Redis CPU` +
      (result.postgresCpuUsec === undefined ? '' : `, ${result.postgresCpuUsec} µs PostgreSQL CPU`),
  );
  return result;
}

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

/** Limiter decisions over two policies (per-user and per-IP GCRA), as for a signed-in request. */
export async function measureLimiter(ctx: MeasureContext): Promise<OperationResult[]> {
  const { stack, meter } = ctx;
  const loop = loopOf(ctx);
  const operations: OperationResult[] = [];
  for (const maxBatch of [16, 1]) {
    ctx.check();
    const limiter = await createLimiter(stack, {
      namespace: `scaling-rl-${maxBatch}`,
      limit: 1_000_000,
      period: 60,
      maxBatch,
    });
    let next = 0;
    let sample: LoopSample | undefined;
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
      logged(
        ctx,
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
      ),
    );
  }
  return operations;
}

/** Session checks: SessionReader.validate() of real sessions created through SessionStore. */
export async function measureSessions(ctx: MeasureContext): Promise<OperationResult[]> {
  const { stack, meter } = ctx;
  const loop = loopOf(ctx);
  const operations: OperationResult[] = [];
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
    ctx.check();
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
    let sample: LoopSample | undefined;
    const measured = await meter.measure(async () => {
      sample = await loop(validate);
    });
    const coalesced = maxBatch > 1;
    operations.push(
      logged(
        ctx,
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
      ),
    );
  }
  return operations;
}

/** L2 hits (coalesced into MGETs, and one GET each), then misses that load from PostgreSQL. */
export async function measureCacheReads(
  ctx: MeasureContext,
): Promise<{ operations: OperationResult[]; readIds: string[] }> {
  const { stack, meter, settings } = ctx;
  const loop = loopOf(ctx);
  const operations: OperationResult[] = [];
  ctx.log('seeding users through the user service');
  const readIds = await seedUsers(stack, 'reads');
  for (const maxReadBatch of [undefined, 1]) {
    ctx.check();
    const cache = await startProfileCache(stack, { l1: false, namespace: 'scaling', maxReadBatch });
    await Promise.all(readIds.map((id) => cache.get(id))); // fills (or finds) every entry
    let next = 0;
    const hit = async () => {
      next = (next + 1) % readIds.length;
      const read = await cache.get(readIds[next] as string);
      if (read.status !== 'HIT') throw new Error(`${read.status} on the hit path`);
    };
    await loop(hit);
    let sample: LoopSample | undefined;
    const measured = await meter.measure(async () => {
      sample = await loop(hit);
    });
    const coalesced = maxReadBatch === undefined;
    operations.push(
      logged(
        ctx,
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
      ),
    );
  }
  {
    ctx.check();
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
      logged(
        ctx,
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
      ),
    );
  }
  return { operations, readIds };
}

/**
 * Writes: UserService.update() (commit, sync invalidation) with the worker (`workerEntry`) relaying the
 * outbox to the user-events stream and its consumer applying the event invalidation; measured until it has.
 */
export async function measureWrites(ctx: MeasureContext, workerEntry: string): Promise<OperationResult> {
  const { stack, meter, settings } = ctx;
  ctx.check();
  const writeIds = await seedUsers(stack, 'writes');
  const runtime = await sharedUserRuntime(stack);
  const worker = await stack.startService('user worker', workerEntry, (port) =>
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
  return logged(
    ctx,
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
}
