import { USER_CACHE_GROUP, USER_EVENTS_STREAM } from '@redwire/contracts';
import { startHttpServer } from '@redwire/http-kit';
import { Keyspace } from '@redwire/redis-kit';
import { testPool } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import {
  enqueueInvalidateUser,
  INVALIDATE_USER_JOB,
  invalidateUserJobOptions,
} from '../src/jobs/invalidate-user.job';
import { outboxCleanupProcessor } from '../src/jobs/outbox-cleanup.job';
import type { WorkerRuntime } from '../src/worker.runtime';
import {
  asUser,
  bodyOf,
  createUser,
  migratedDatabase,
  namespace,
  sampleValue,
  startInstance,
  startWorker,
  testConfig,
  testWorkerConfig,
  type UserInstance,
  waitFor,
} from './support/user-stack';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let ns: string;
let api: UserInstance;
let worker: WorkerRuntime;
let redis: Redis;
let admin: pg.Pool;
let stream: string;
let keys: UserCacheKeys;

beforeAll(async () => {
  db = await migratedDatabase();
  ns = namespace();
  api = await startInstance(testConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: ns }));
  worker = await startWorker(
    testWorkerConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: ns, OUTBOX_POLL_INTERVAL: '200' }),
  );
  redis = new Redis(sharedServers().redisUrl);
  admin = testPool(db.url, 2);
  const keyspace = new Keyspace({ service: 'user', namespace: ns });
  stream = keyspace.stream(USER_EVENTS_STREAM);
  keys = new UserCacheKeys(keyspace);
});
afterAll(async () => {
  await worker?.close();
  await api?.close();
  redis?.disconnect();
  await admin?.end();
  await db?.drop();
});

async function entriesFor(userId: string) {
  const entries = (await redis.xrange(stream, '-', '+')) as [string, string[]][];
  return entries
    .map(([id, flat]) => {
      const fields: Record<string, string> = {};
      for (let i = 0; i < flat.length; i += 2) fields[flat[i] as string] = flat[i + 1] as string;
      return { id, fields };
    })
    .filter((e) => e.fields.userId === userId);
}

/** Resolves once the user-cache group has acknowledged everything up to `entryId`. */
async function consumed(entryId: string) {
  await waitFor(
    async () => {
      const groups = (await redis.call('XINFO', 'GROUPS', stream)) as unknown[][];
      const group = groups.map((g) => Object.fromEntries(chunk(g))).find((g) => g.name === USER_CACHE_GROUP);
      if (!group) return false;
      const last = String(group['last-delivered-id']);
      return Number(group.pending) === 0 && compareIds(last, entryId) >= 0;
    },
    5000,
    'consumer caught up',
  );
}
const chunk = (flat: unknown[]) =>
  Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i], flat[2 * i + 1]]);
const compareIds = (a: string, b: string) => {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : Number(am - bm);
};

const cachedVersion = async (id: string) => {
  const raw = await redis.get(keys.forUser(id).entry);
  return raw === null ? undefined : (JSON.parse(raw) as { v: number }).v;
};

describe('outbox relay', () => {
  it('when a user is written three times, then three events reach the stream in order with the contract fields', async () => {
    const id = await createUser(api.url);
    const headers = { 'content-type': 'application/json', ...(await asUser(id)) };
    for (const name of ['B', 'C']) {
      await fetch(`${api.url}/users/${id}`, { method: 'PATCH', headers, body: JSON.stringify({ name }) });
    }
    await waitFor(async () => (await entriesFor(id)).length === 3, 5000, 'three events');
    const events = await entriesFor(id);
    expect(events.map((e) => [e.fields.type, e.fields.version])).toEqual([
      ['user.created', '1'],
      ['user.updated', '2'],
      ['user.updated', '3'],
    ]);
    for (const { fields } of events) {
      expect(fields.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(Date.parse(fields.occurredAt as string)).not.toBeNaN();
    }
    const { rows } = await admin.query(
      'SELECT count(*)::int AS n FROM users.outbox WHERE user_id = $1 AND published_at IS NULL',
      [id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('when an outbox row carries a traceparent, then its stream entry carries it too', async () => {
    const id = uuidv7();
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await api.runtime.repository.create({ id, email: `${id}@example.com`, name: 'T' }, { traceparent });
    await waitFor(async () => (await entriesFor(id)).length === 1, 5000, 'event');
    const [event] = await entriesFor(id);
    expect(event?.fields.traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
  });
});

describe('user-cache consumer', () => {
  it('when an older event or a duplicate is delivered after a newer one, then the cache is never rolled back', async () => {
    const id = await createUser(api.url);
    const headers = { 'content-type': 'application/json', ...(await asUser(id)) };
    for (let i = 0; i < 3; i++) {
      await fetch(`${api.url}/users/${id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify({ bio: `b${i}` }),
      });
    }
    await waitFor(async () => (await entriesFor(id)).length === 4, 5000, 'four events');
    await consumed((await entriesFor(id)).at(-1)?.id as string);
    await fetch(`${api.url}/users/${id}`); // fill v4
    expect(await cachedVersion(id)).toBe(4);
    const floorBefore = await redis.get(keys.forUser(id).floor);

    const replay = async (version: number) =>
      redis.xadd(
        stream,
        '*',
        'type',
        'user.updated',
        'userId',
        id,
        'version',
        String(version),
        'eventId',
        uuidv7(),
        'occurredAt',
        new Date().toISOString(),
      ) as Promise<string>;
    await replay(2);
    await replay(4);
    const last = await replay(4);
    await consumed(last);
    expect(await cachedVersion(id)).toBe(4);
    expect(await redis.get(keys.forUser(id).floor)).toBe(floorBefore);
    const read = await fetch(`${api.url}/users/${id}`);
    expect(read.headers.get('x-cache')).toBe('HIT');
    expect((await bodyOf(read)).version).toBe(4);
  });

  it('when a malformed entry arrives, then it is acknowledged and skipped', async () => {
    const last = (await redis.xadd(stream, '*', 'type', 'bogus', 'userId', 'x')) as string;
    await consumed(last);
  });
});

describe('BullMQ re-invalidation', () => {
  it('when 50 re-invalidations of one user are enqueued at once, then at most 2 run and the entry is gone', async () => {
    const id = await createUser(api.url);
    await waitFor(
      async () => {
        await fetch(`${api.url}/users/${id}`);
        return (await cachedVersion(id)) === 1;
      },
      2000,
      'cached',
    );
    const runs = () => jobRuns(worker);
    const before = await runs();
    await Promise.all(
      Array.from({ length: 50 }, () => enqueueInvalidateUser(worker.invalidationQueue, { userId: id })),
    );
    await waitFor(
      async () => {
        const counts = await worker.invalidationQueue.getJobCounts(
          'waiting',
          'active',
          'delayed',
          'prioritized',
        );
        return Object.values(counts).every((n) => n === 0) && (await runs()) > before;
      },
      10_000,
      'queue drained',
    );
    const executed = (await runs()) - before;
    expect(executed).toBeGreaterThanOrEqual(1);
    expect(executed).toBeLessThanOrEqual(2);
    expect(await cachedVersion(id)).toBeUndefined();
  });
});

describe('worker /metrics', () => {
  it('when jobs wait delayed or have failed, then redwire_queue_jobs shows them by queue and state, read at scrape time', async () => {
    const server = await startHttpServer(worker.app, { port: 0 });
    const queue = worker.invalidationQueue;
    const scrape = async () => (await fetch(`${server.url}/metrics`)).text();
    const jobs = async (state: string, name = 'cache-invalidation') =>
      sampleValue(await scrape(), 'redwire_queue_jobs', { queue: name, state });
    try {
      for (let i = 0; i < 3; i++) {
        const userId = uuidv7();
        await queue.add(
          INVALIDATE_USER_JOB,
          { userId },
          { ...invalidateUserJobOptions(userId), delay: 600_000 },
        );
      }
      // Data the processor rejects as unrecoverable: failed at once, no retry.
      await queue.add(INVALIDATE_USER_JOB, { userId: 'not-a-uuid' }, { removeOnFail: false });
      await waitFor(async () => (await jobs('failed')) === 1, 5000, 'the failed job counted');
      expect(await jobs('delayed')).toBe(3);
      for (const state of ['wait', 'active', 'prioritized']) expect(await jobs(state), state).toBe(0);
      // The maintenance queue is reported too (its scheduled cleanup is delayed, or has just run).
      expect(await jobs('delayed', 'outbox-maintenance')).toBeGreaterThanOrEqual(0);

      // Jobs that become due are counted where they are now: promoted, run, gone from `delayed`.
      const due = await queue.getJobs(['delayed']);
      await Promise.all(due.map((job) => job.promote()));
      await waitFor(async () => (await jobs('delayed')) === 0, 5000, 'promoted jobs ran');
      await waitFor(async () => (await jobs('wait')) === 0 && (await jobs('active')) === 0, 5000, 'idle');
    } finally {
      await server.close(1000);
    }
  });

  it('when the user-cache group has acknowledged everything, then redwire_stream_pending reports 0 for it', async () => {
    const id = await createUser(api.url);
    await consumed((await waitForEntries(id))[0]?.id as string);
    const text = await worker.metrics.registry.metrics();
    expect(sampleValue(text, 'redwire_stream_pending', { stream: 'user-events', group: 'user-cache' })).toBe(
      0,
    );
  });
});

async function waitForEntries(userId: string) {
  await waitFor(async () => (await entriesFor(userId)).length > 0, 5000, 'an event');
  return entriesFor(userId);
}

describe('outbox cleanup job', () => {
  it('when it runs, then only rows published before the retention period are deleted', async () => {
    const id = uuidv7();
    const insert = (publishedAgo: string | null) =>
      admin.query(
        `INSERT INTO users.outbox (event_id, type, user_id, version, published_at)
         VALUES ($1, 'user.updated', $2, 1, ${publishedAgo === null ? 'NULL' : `now() - interval '${publishedAgo}'`})`,
        [uuidv7(), id],
      );
    await insert('3 hours');
    await insert('10 minutes');
    await insert(null);
    await outboxCleanupProcessor(worker.pool, 2 * 3600_000)({} as never);
    // The unpublished row may be published by the running relay meanwhile: it is kept either way.
    const { rows } = await admin.query(
      `SELECT count(*)::int AS kept, count(*) FILTER (WHERE published_at < now() - interval '1 hour')::int AS old
       FROM users.outbox WHERE user_id = $1`,
      [id],
    );
    expect(rows[0]).toEqual({ kept: 2, old: 0 });
  });
});

async function jobRuns(runtime: WorkerRuntime): Promise<number> {
  const metric = await runtime.metrics.registry
    .getSingleMetric('redwire_user_cache_invalidations_total')
    ?.get();
  return (metric?.values ?? []).filter((v) => v.labels.path === 'job').reduce((n, v) => n + v.value, 0);
}
