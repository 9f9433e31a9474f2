import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@redwire/launchers';
import {
  classifyDbError,
  createPool,
  DatabaseUnavailableError,
  isUniqueViolation,
  runSchemaMigrations,
} from '@redwire/postgres-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('postgres-kit on a real PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createDatabase>>;
  let dir: string;
  beforeAll(async () => {
    db = await createDatabase(sharedServers().postgresAdminUrl);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-migrations-'));
    fs.writeFileSync(
      path.join(dir, '1700000000000_things.sql'),
      '-- Up Migration\nCREATE TABLE kit.things (id int PRIMARY KEY, name text CONSTRAINT things_name_key UNIQUE);\n',
    );
  });
  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('when two callers migrate the same schema at once, then each migration is applied exactly once', async () => {
    const run = () => runSchemaMigrations({ databaseUrl: db.url, schema: 'kit', dir, lockId: 0x6b69_7421 });
    const [a, b] = await Promise.all([run(), run()]);
    expect([...a, ...b]).toEqual(['1700000000000_things']);
    expect(await run()).toEqual([]);
  });

  it('when a statement breaks a unique constraint, then it is not "unavailable" and is recognised by name', async () => {
    const pool = createPool({ connectionString: db.url, applicationName: 'postgres-kit-test' });
    try {
      await pool.query("INSERT INTO kit.things VALUES (1, 'a')");
      const error = await pool.query("INSERT INTO kit.things VALUES (2, 'a')").catch((e: unknown) => e);
      expect(isUniqueViolation(error, 'things_name_key')).toBe(true);
      expect(isUniqueViolation(error, 'other_key')).toBe(false);
      expect(() => classifyDbError(error)).toThrow(error as Error);
      const app = await pool.query<{ name: string }>('SELECT current_setting($1) AS name', [
        'application_name',
      ]);
      expect(app.rows[0]?.name).toBe('postgres-kit-test');
    } finally {
      await pool.end();
    }
  });

  it('when a statement outlives statement_timeout, then it fails as unavailable (503), not as a bug (500)', async () => {
    const pool = createPool({ connectionString: db.url, applicationName: 't', statementTimeoutMs: 100 });
    try {
      const error = await pool.query('SELECT pg_sleep(2)').catch((e: unknown) => e);
      expect(() => classifyDbError(error)).toThrow(DatabaseUnavailableError);
    } finally {
      await pool.end();
    }
  });

  it('when the server refuses connections, then a query fails as unavailable', async () => {
    const pool = createPool({
      connectionString: 'postgres://postgres@127.0.0.1:1/nowhere',
      applicationName: 't',
    });
    const error = await pool.query('SELECT 1').catch((e: unknown) => e);
    expect(() => classifyDbError(error)).toThrow(DatabaseUnavailableError);
    await pool.end();
  });

  it('when the server accepts but never answers, then a query fails as unavailable within the connection timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const pool = createPool({
      connectionString: `postgres://postgres@127.0.0.1:${port}/nowhere`,
      applicationName: 't',
      connectionTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      const error = await pool.query('SELECT 1').catch((e: unknown) => e);
      expect(() => classifyDbError(error)).toThrow(DatabaseUnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await pool.end();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
