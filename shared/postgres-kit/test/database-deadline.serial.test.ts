import { RequestDeadline, runWithDeadline } from '@redwire/deadline';
import { createDatabase, pollUntil } from '@redwire/launchers';
import { Database, DatabaseUnavailableError } from '@redwire/postgres-kit';
import { testPool } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// The request deadline against stalls a test can cause on the shared server without disturbing others: a
// row lock held by another session, an exhausted pool, a COMMIT made slow by a deferred trigger. The
// PostgreSQL-wide freeze (SIGSTOP) is tested on the user service's own server.

const BUDGET_MS = 400;
// Timer lateness on 2 busy cores; the stalls last seconds, so anything under budget + this proves the
// deadline ended the wait.
const MARGIN_MS = 250;

let server: Awaited<ReturnType<typeof createDatabase>>;
let admin: pg.Pool;
let db: Database;

beforeAll(async () => {
  server = await createDatabase(sharedServers().postgresAdminUrl);
  admin = testPool(server.url, 4);
  await admin.query(`
    CREATE TABLE things (id int PRIMARY KEY, name text NOT NULL);
    CREATE TABLE events (thing int NOT NULL, name text NOT NULL);
    -- Runs at COMMIT (deferred): a name starting with 'slow-commit' makes the COMMIT itself take 5 s.
    CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.name LIKE 'slow-commit%' THEN PERFORM pg_sleep(5); END IF; RETURN NULL; END $$;
    CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT OR UPDATE ON things
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
  `);
});
afterEach(async () => {
  await db?.end();
});
afterAll(async () => {
  await admin?.end();
  await server?.drop();
});

function open(max = 4): Database {
  db = new Database({
    connectionString: server.url,
    applicationName: 'postgres-kit-deadline-test',
    max,
    statementTimeoutMs: 3000,
    connectionTimeoutMs: 3000,
  });
  return db;
}

/** Runs `work` under a fresh deadline of BUDGET_MS; resolves with its outcome and how long it took. */
async function underDeadline<T>(work: () => Promise<T>) {
  const started = performance.now();
  const outcome = await runWithDeadline(RequestDeadline.after(BUDGET_MS), work).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  return { ...outcome, ms: performance.now() - started };
}

/** A write of a thing and its event in one transaction, as the services' repositories write. */
const writeThing = (database: Database, id: number, name: string) =>
  database.transaction(async (tx) => {
    await tx.query('INSERT INTO things (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = $2', [
      id,
      name,
    ]);
    await tx.query('INSERT INTO events (thing, name) VALUES ($1, $2)', [id, name]);
  });

async function stateOf(id: number) {
  const thing = await admin.query('SELECT name FROM things WHERE id = $1', [id]);
  const events = await admin.query('SELECT name FROM events WHERE thing = $1 ORDER BY name', [id]);
  return {
    name: thing.rows[0]?.name as string | undefined,
    events: events.rows.map((r) => r.name as string),
  };
}

/** Backends of the test's pool still known to the server. */
async function backends(): Promise<number> {
  const { rows } = await admin.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'postgres-kit-deadline-test'`,
  );
  return rows[0].n as number;
}

/** Whether `probe` holds within `ms`. */
const eventually = (probe: () => Promise<boolean>, ms: number): Promise<boolean> =>
  pollUntil(probe, { timeoutMs: ms }).then(
    () => true,
    () => false,
  );

describe('Database under a request deadline', () => {
  it('when every pooled connection is busy, then waiting for one ends at the deadline and the pool is healthy after', async () => {
    const database = open(1);
    const held = await database.pool.connect();
    const result = await underDeadline(() => database.query('SELECT 1'));
    expect(result.ok).toBe(false);
    expect(result.ok ? undefined : result.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(result.ms).toBeGreaterThanOrEqual(BUDGET_MS - 5);
    expect(result.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
    held.release();
    // The late checkout was handed straight back: the one connection serves the next caller at once.
    const next = await underDeadline(() => database.query<{ n: number }>('SELECT 2 AS n'));
    expect(next.ok && next.value.rows[0]?.n).toBe(2);
    expect(database.pool.waitingCount).toBe(0);
  });

  it('when a statement waits on a lock past the deadline, then it fails in time, its connection is destroyed and the server drops its session', async () => {
    const database = open();
    await database.query('INSERT INTO things (id, name) VALUES (1, $1)', ['before']);
    const blocker = await admin.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM things WHERE id = 1 FOR UPDATE');
    try {
      const result = await underDeadline(() => writeThing(database, 1, 'after'));
      expect(result.ok ? undefined : result.error).toBeInstanceOf(DatabaseUnavailableError);
      expect(result.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
      // client_connection_check_interval: the server ends the abandoned statement without waiting for the lock.
      expect(await eventually(async () => (await backends()) === 0, 2000)).toBe(true);
      expect(database.pool.totalCount).toBe(0);
    } finally {
      await blocker.query('COMMIT');
      blocker.release();
    }
    expect(await stateOf(1)).toEqual({ name: 'before', events: [] });
    const after = await underDeadline(() => writeThing(database, 1, 'after'));
    expect(after.ok).toBe(true);
    expect(await stateOf(1)).toEqual({ name: 'after', events: ['after'] });
  });

  it('when the deadline passes between statements, then nothing more is sent and nothing is committed', async () => {
    const database = open();
    const result = await underDeadline(() =>
      database.transaction(async (tx) => {
        await tx.query('INSERT INTO things (id, name) VALUES (2, $1)', ['half']);
        await new Promise((r) => setTimeout(r, BUDGET_MS + 50)); // e.g. a slow call to another service
        await tx.query('INSERT INTO events (thing, name) VALUES (2, $1)', ['half']);
      }),
    );
    expect(result.ok ? undefined : result.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(result.ms).toBeLessThan(BUDGET_MS + 50 + MARGIN_MS);
    expect(await eventually(async () => (await backends()) === 0, 2000)).toBe(true);
    expect(await stateOf(2)).toEqual({ name: undefined, events: [] });
  });

  it('when COMMIT itself stalls past the deadline, then the caller fails in time and neither the row nor its event is written', async () => {
    const database = open();
    const result = await underDeadline(() => writeThing(database, 3, 'slow-commit'));
    expect(result.ok ? undefined : result.error).toBeInstanceOf(DatabaseUnavailableError);
    expect(result.ms).toBeLessThan(BUDGET_MS + MARGIN_MS);
    // The server notices the closed connection during the trigger's sleep and aborts the COMMIT: neither
    // the row nor its event. (A COMMIT stuck in a frozen server's socket may instead land whole on thaw.)
    expect(await eventually(async () => (await backends()) === 0, 3000)).toBe(true);
    expect(await stateOf(3)).toEqual({ name: undefined, events: [] });
  });

  it('when a statement breaks a constraint inside a transaction, then it rolls back and the connection is reused', async () => {
    const database = open(1);
    await underDeadline(() => writeThing(database, 4, 'first'));
    const duplicate = await underDeadline(() =>
      database.transaction(async (tx) => {
        await tx.query('INSERT INTO events (thing, name) VALUES (4, $1)', ['orphan']);
        await tx.query('INSERT INTO things (id, name) VALUES (4, $1)', ['duplicate']);
      }),
    );
    expect(duplicate.ok ? undefined : (duplicate.error as { code?: string }).code).toBe('23505');
    expect(await stateOf(4)).toEqual({ name: 'first', events: ['first'] });
    expect(database.pool.totalCount).toBe(1);
  });

  it('when no deadline is in force (background work), then only the pool limits apply', async () => {
    const database = open();
    const started = performance.now();
    const { rows } = await database.query<{ slept: string }>('SELECT pg_sleep($1)::text AS slept', [
      (BUDGET_MS + 200) / 1000,
    ]);
    expect(rows).toHaveLength(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(BUDGET_MS + 150);
  });
});
