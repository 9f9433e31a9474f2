import { Database, DatabaseUnavailableError } from '@redwire/postgres-kit';
import { testPool } from '@redwire/testing';
import { freshDatabase } from '@redwire/testing/vitest';
import type pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrator';
import { UserRepository } from '../src/users/user.repository';

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: Database;
let admin: pg.Pool;

beforeAll(async () => {
  db = await freshDatabase();
  await runMigrations({ databaseUrl: db.url });
  pool = new Database({ connectionString: db.url, applicationName: 'redwire-user-test' });
  admin = testPool(db.url, 2);
});
afterAll(async () => {
  await pool?.end();
  await admin?.end();
  await db?.drop();
});

const outboxRows = async (userId: string) =>
  (await admin.query('SELECT type, version FROM users.outbox WHERE user_id = $1 ORDER BY seq', [userId]))
    .rows;

describe('UserRepository', () => {
  it('when migrations run twice, then the second run applies nothing', async () => {
    expect(await runMigrations({ databaseUrl: db.url })).toEqual([]);
  });

  it('when a user is created, updated and deleted, then each write bumps the version and leaves one outbox event', async () => {
    const repo = new UserRepository(pool);
    const id = uuidv7();
    const created = await repo.create(
      { id, email: `${id}@example.com`, name: 'Ada' },
      { traceparent: 'tp-1' },
    );
    expect(created.kind).toBe('created');
    const updated = await repo.update(id, { bio: 'hello' });
    expect(updated).toMatchObject({ kind: 'updated', user: { version: 2, name: 'Ada', bio: 'hello' } });
    const deleted = await repo.delete(id);
    expect(deleted).toMatchObject({ kind: 'deleted', event: { version: 3, type: 'user.deleted' } });
    expect(await outboxRows(id)).toEqual([
      { type: 'user.created', version: '1' },
      { type: 'user.updated', version: '2' },
      { type: 'user.deleted', version: '3' },
    ]);
    const { rows } = await admin.query(
      'SELECT traceparent FROM users.outbox WHERE user_id = $1 AND version = 1',
      [id],
    );
    expect(rows[0].traceparent).toBe('tp-1');
  });

  it('when the same id is created again, then it is idempotent on the same email and a conflict otherwise', async () => {
    const repo = new UserRepository(pool);
    const id = uuidv7();
    const email = `${id}@example.com`;
    await repo.create({ id, email, name: 'A' });
    expect(await repo.create({ id, email, name: 'B' })).toMatchObject({
      kind: 'exists',
      user: { name: 'A' },
    });
    expect(await repo.create({ id, email: `other-${email}`, name: 'B' })).toEqual({ kind: 'email_taken' });
    expect(await repo.create({ id: uuidv7(), email, name: 'B' })).toEqual({ kind: 'email_taken' });
    expect(await outboxRows(id)).toHaveLength(1);
  });

  it('when If-Match names an old version, then nothing changes and the current version is reported', async () => {
    const repo = new UserRepository(pool);
    const id = uuidv7();
    await repo.create({ id, email: `${id}@example.com`, name: 'A' });
    expect(await repo.update(id, { name: 'B' }, { expectedVersions: [7] })).toEqual({
      kind: 'version_conflict',
      currentVersion: 1,
    });
    expect(await repo.update(uuidv7(), { name: 'B' })).toEqual({ kind: 'not_found' });
    expect(await outboxRows(id)).toHaveLength(1);
  });

  it('when users are listed by pages, then every user appears once, in id order', async () => {
    const repo = new UserRepository(pool);
    const all: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await repo.list(after, 2);
      all.push(...page.map((u) => u.id));
      if (page.length < 2) break;
      after = page.at(-1)?.id;
    }
    expect(all).toEqual([...all].sort());
    expect(new Set(all).size).toBe(all.length);
  });

  it('when the connection is killed between the row UPDATE and the outbox INSERT, then neither is kept', async () => {
    const id = uuidv7();
    await new UserRepository(pool).create({ id, email: `${id}@example.com`, name: 'Before' });
    const repo = new UserRepository(pool, {
      hooks: {
        afterRowWrite: async (client) => {
          const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
          await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
        },
      },
    });
    await expect(repo.update(id, { name: 'After' })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    const user = await new UserRepository(pool).findById(id);
    expect(user).toMatchObject({ name: 'Before', version: 1 });
    expect(await outboxRows(id)).toEqual([{ type: 'user.created', version: '1' }]);
  });

  it('when PostgreSQL is unreachable, then reads and writes fail as unavailable within the connection timeout', async () => {
    const dead = new Database({
      connectionString: 'postgres://postgres@127.0.0.1:1/nowhere',
      applicationName: 'redwire-user-test',
      connectionTimeoutMs: 300,
    });
    const repo = new UserRepository(dead);
    const started = Date.now();
    await expect(repo.findById(uuidv7())).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(repo.update(uuidv7(), { name: 'x' })).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(Date.now() - started).toBeLessThan(2000);
    await dead.end();
  });
});
