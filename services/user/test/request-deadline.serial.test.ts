import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type PostgresServer, startPostgresServer } from '@redwire/launchers';
import { freeze, testPool, thaw, trackResponseTimes } from '@redwire/testing';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrator';
import type { RepositoryHooks } from '../src/users/user.repository';
import {
  asUser,
  createUser,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
} from './support/user-stack';

// One deadline per request, through the real HTTP service, against its own PostgreSQL: frozen (SIGSTOP,
// backends included), a full pool, a row lock, a freeze between the row and its outbox event, a slow
// COMMIT. Each answers 503 with Retry-After within REQUEST_BUDGET + 250 ms, nothing is half-written, and
// the pool serves at once afterwards. The static timeouts are set far above the budget, so only the
// deadline can end these waits.

const BUDGET_MS = 1000;
const OVERRUN_MS = 250; // the contract: no request outlives its budget by more than this
const FRESH_MS = 3000;

let pgServer: PostgresServer;
let dbUrl: string;
let admin: pg.Pool;
let instance: UserInstance;
let timings: ReturnType<typeof trackResponseTimes>['timings'];
/** Set by a test to run inside the write transaction, after the row statement. */
let afterRowWrite: RepositoryHooks['afterRowWrite'];

beforeAll(async () => {
  pgServer = await startPostgresServer();
  const db = await createDatabase(pgServer.adminUrl, 'users');
  dbUrl = db.url;
  await runMigrations({ databaseUrl: dbUrl });
  admin = testPool(dbUrl, 2);
  admin.on('error', () => {}); // an idle connection ended by the server's shutdown in afterAll
  // Runs at COMMIT: a name starting with 'slow-commit' makes the COMMIT itself take 10 s.
  await admin.query(`
    CREATE FUNCTION users.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name LIKE 'slow-commit%' THEN PERFORM pg_sleep(10); END IF; RETURN NULL; END $$;
    CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON users.users
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION users.slow_commit();
  `);
  instance = await startInstance(
    testConfig({
      DATABASE_URL: dbUrl,
      REDIS_NAMESPACE: namespace(),
      REQUEST_BUDGET: String(BUDGET_MS),
      DB_POOL_MAX: '4',
      DB_STATEMENT_TIMEOUT: '8000',
      DB_CONNECT_TIMEOUT: '8000',
      USER_CACHE_LEASE_TTL: '9000',
      USER_CACHE_TTL: String(FRESH_MS),
      USER_CACHE_TTL_JITTER_PERCENT: '0',
      USER_CACHE_STALE: '60s',
    }),
    { repositoryHooks: { afterRowWrite: (tx) => afterRowWrite?.(tx) ?? Promise.resolve() } },
  );
  timings = trackResponseTimes(instance.server.server).timings;
});
afterEach(() => {
  afterRowWrite = undefined;
  if (pgServer?.pid) thaw(pgServer.pid);
});
afterAll(async () => {
  if (pgServer?.pid) thaw(pgServer.pid);
  await instance?.close();
  await admin?.end();
  await pgServer?.stop({ remove: true });
});

interface Timed {
  status: number;
  /** As the service measured it (see trackResponseTimes). */
  ms: number;
  retryAfter: string | null;
  cache: string | null;
  body: Record<string, unknown>;
}

async function timed(path: string, init: RequestInit = {}): Promise<Timed> {
  const requestId = randomUUID();
  const res = await fetch(`${instance.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'x-request-id': requestId },
  });
  const text = await res.text();
  const timing = timings.find((t) => t.requestId === requestId);
  if (!timing) throw new Error(`no server timing for ${path}`);
  return {
    status: res.status,
    ms: timing.ms,
    retryAfter: res.headers.get('retry-after'),
    cache: res.headers.get('x-cache'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function patch(id: string, name: string): Promise<Timed> {
  return timed(`/users/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(await asUser(id)) },
    body: JSON.stringify({ name }),
  });
}

/** The 503 the contract promises when the budget runs out. */
function expectDeadlineAnswer(reply: Timed): void {
  expect(reply.status).toBe(503);
  expect(reply.body.code).toBe('E_UNAVAILABLE');
  expect(reply.retryAfter).toBe('1');
  expect(reply.ms).toBeLessThan(BUDGET_MS + OVERRUN_MS);
}

/** The row and its outbox events as PostgreSQL has them. */
async function stored(id: string) {
  const row = await admin.query('SELECT name, version FROM users.users WHERE id = $1', [id]);
  const events = await admin.query('SELECT type, version FROM users.outbox WHERE user_id = $1 ORDER BY seq', [
    id,
  ]);
  return {
    name: row.rows[0]?.name as string | undefined,
    version: Number(row.rows[0]?.version),
    events: events.rows.map((e) => `${e.type}@${e.version}`),
  };
}

/** Waits until the server has ended every session this service abandoned (so nothing can still commit). */
async function abandonedSessionsGone(): Promise<void> {
  const until = performance.now() + 15_000;
  for (;;) {
    const { rows } = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'redwire-user' AND state <> 'idle'`,
    );
    if (rows[0].n === 0) return;
    if (performance.now() > until) throw new Error(`${rows[0].n} abandoned sessions still active`);
    await sleep(50);
  }
}

/** After a fault: the pool serves a write at once and holds no more connections than its size. */
async function expectPoolHealthy(id: string, name: string): Promise<void> {
  const reply = await patch(id, name);
  expect(reply.status).toBe(200);
  expect(reply.ms).toBeLessThan(BUDGET_MS);
  expect(instance.runtime.pool.totalCount).toBeLessThanOrEqual(4);
  expect(instance.runtime.pool.waitingCount).toBe(0);
}

describe('one deadline per request (user service, own PostgreSQL)', () => {
  it('when PostgreSQL is frozen, then cached reads answer from Redis, misses and writes get 503 with Retry-After within budget + 250 ms, nothing is half-written, and the pool recovers at once', async () => {
    const staleId = await createUser(instance.url, 'Stale');
    expect((await timed(`/users/${staleId}`)).cache).toBe('MISS');
    await sleep(FRESH_MS + 100); // its entry is past its fresh time now, still within its stale grace
    const id = await createUser(instance.url, 'Cached');
    expect((await timed(`/users/${id}`)).cache).toBe('MISS');
    // Idle pooled connections exist, so a write's first wait is its BEGIN on a frozen server.
    expect(instance.runtime.pool.idleCount).toBeGreaterThan(0);

    freeze(pgServer.pid as number);
    const [hit, stale, miss, write] = await Promise.all([
      timed(`/users/${id}`),
      timed(`/users/${staleId}`),
      timed(`/users/${uuidv7()}`),
      patch(id, 'Written during the freeze'),
    ]);
    expect(hit).toMatchObject({ status: 200, cache: 'HIT' });
    expect(hit.ms).toBeLessThan(250);
    // The lease holder waits for PostgreSQL until the deadline, then serves what Redis still has.
    expect(stale).toMatchObject({ status: 200, cache: 'STALE' });
    expect(stale.ms).toBeLessThan(BUDGET_MS + OVERRUN_MS);
    expectDeadlineAnswer(miss);
    expectDeadlineAnswer(write);
    thaw(pgServer.pid as number);

    await abandonedSessionsGone();
    expect(await stored(id)).toEqual({ name: 'Cached', version: 1, events: ['user.created@1'] });
    await expectPoolHealthy(id, 'After the freeze');
    const after = await timed(`/users/${id}`);
    expect(after.body).toMatchObject({ name: 'After the freeze', version: 2 });
  });

  it('when every pooled connection is taken, then a write waits for one only until the deadline', async () => {
    const id = await createUser(instance.url);
    const held = await Promise.all(Array.from({ length: 4 }, () => instance.runtime.pool.connect()));
    try {
      expectDeadlineAnswer(await patch(id, 'Never'));
      expectDeadlineAnswer(await timed(`/users/${uuidv7()}`));
    } finally {
      for (const client of held) client.release();
    }
    expect(await stored(id)).toMatchObject({ name: 'Ada', version: 1 });
    await expectPoolHealthy(id, 'Pool back');
  });

  it('when the UPDATE waits on a row lock, then the write gives up at the deadline and the server drops its statement', async () => {
    const id = await createUser(instance.url);
    const blocker = await admin.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM users.users WHERE id = $1 FOR UPDATE', [id]);
    try {
      expectDeadlineAnswer(await patch(id, 'Blocked'));
      // client_connection_check_interval: the abandoned UPDATE is cancelled while the lock is still held.
      await abandonedSessionsGone();
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    expect(await stored(id)).toEqual({ name: 'Ada', version: 1, events: ['user.created@1'] });
    await expectPoolHealthy(id, 'Unblocked');
  });

  it('when PostgreSQL freezes between the row write and its outbox event, then the write answers 503 in time and neither is kept', async () => {
    const id = await createUser(instance.url);
    afterRowWrite = async () => freeze(pgServer.pid as number);
    const reply = await patch(id, 'Half');
    afterRowWrite = undefined;
    expectDeadlineAnswer(reply);
    thaw(pgServer.pid as number);
    await abandonedSessionsGone();
    expect(await stored(id)).toEqual({ name: 'Ada', version: 1, events: ['user.created@1'] });
    await expectPoolHealthy(id, 'Whole');
    expect(await stored(id)).toEqual({
      name: 'Whole',
      version: 2,
      events: ['user.created@1', 'user.updated@2'],
    });
  });

  it('when COMMIT itself stalls past the deadline, then the write answers 503 in time and the row and its event are both absent', async () => {
    const id = await createUser(instance.url);
    expectDeadlineAnswer(await patch(id, 'slow-commit'));
    await abandonedSessionsGone();
    expect(await stored(id)).toEqual({ name: 'Ada', version: 1, events: ['user.created@1'] });
    await expectPoolHealthy(id, 'Committed');
  });
});
