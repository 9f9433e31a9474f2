import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
} from '@redwire/launchers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../src/db/migrator';
import { type AuthFixture, anEmail, authFixture, PASSWORD, waitFor } from './support/auth-stack';

describe('auth when Redis or PostgreSQL is down', () => {
  let redisServer: RedisServer;
  let pgServer: PostgresServer;
  let f: AuthFixture;
  let db: pg.Client;
  const admin = anEmail('admin');

  beforeAll(async () => {
    // Own servers, so they can be stopped; Redis persists (AOF) so a restart keeps the sessions.
    [redisServer, pgServer] = await Promise.all([
      startRedisServer({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-auth-outage-')) }),
      startPostgresServer(),
    ]);
    const url = pgServer.urlFor('postgres');
    await runMigrations({ databaseUrl: url });
    f = await authFixture(
      { REDIS_COMMAND_TIMEOUT: '300', ACCOUNT_SYNC_INTERVAL: '200' },
      {},
      { redisUrl: redisServer.url, database: { url, drop: async () => {} } },
    );
    db = new pg.Client({ connectionString: url });
    db.on('error', () => {}); // the PostgreSQL outage test kills this connection
    await db.connect();
  });
  afterAll(async () => {
    await db.end().catch(() => {});
    await f.close();
    await Promise.all([redisServer.stop(), pgServer.stop({ remove: true })]);
  });

  async function revisions(email: string) {
    const { rows } = await db.query<{ revision: string; synced_revision: string }>(
      'SELECT revision, synced_revision FROM auth.accounts WHERE email = $1',
      [email],
    );
    return rows[0];
  }

  it('when Redis is down, then logins answer 503 (never a session that cannot be checked)', async () => {
    const email = anEmail();
    await f.register(email);
    await redisServer.stop();
    try {
      const res = await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('E_UNAVAILABLE');
    } finally {
      await redisServer.start();
    }
    await waitFor(
      async () =>
        (await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status === 200,
      5000,
      'login after recovery',
    );
  });

  it('when an admin disables an account while Redis is down, then its sessions end once Redis is back', async () => {
    await f.registerAdmin(admin);
    const adminToken = (await f.login(admin)).token;
    const email = anEmail();
    const id = await f.register(email);
    const { token } = await f.login(email);
    // The gateway's identity for the admin is signed before the outage (the gateway would answer 503 during it).
    const headers = await f.gw.identityHeaders(adminToken);

    await redisServer.stop();
    try {
      const res = await fetch(`${f.auth.url}/auth/accounts/${id}`, {
        method: 'PATCH',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'disabled' }),
      });
      expect(res.status).toBe(503);
      const row = await revisions(email);
      expect(Number(row?.synced_revision)).toBeLessThan(Number(row?.revision)); // committed, not mirrored
    } finally {
      await redisServer.start();
    }
    const took = await waitFor(
      async () => !(await f.gw.reader.validate(token).catch(() => ({ valid: true }))).valid,
      5000,
      'revocation after recovery',
    );
    await waitFor(
      async () => {
        const row = await revisions(email);
        return row?.synced_revision === row?.revision;
      },
      5000,
      'the sync to be recorded',
    );
    console.info(
      `disable during a Redis outage reached the sessions ${took.toFixed(0)} ms after Redis came back`,
    );
  });

  it('when PostgreSQL is down, then logins answer 503 and existing sessions keep working', async () => {
    const email = anEmail();
    await f.register(email);
    const { token } = await f.login(email);
    await pgServer.stop({ remove: false });
    try {
      const login = await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
      expect(login.status).toBe(503);
      expect((await f.gw.reader.validate(token)).valid).toBe(true);
      const sessions = await f.gw.call('GET', '/auth/sessions', { token });
      expect(sessions.status).toBe(200);
      const logout = await f.gw.call('POST', '/auth/logout', { token });
      expect(logout.status).toBe(204);
      expect((await f.gw.reader.validate(token)).valid).toBe(false);
    } finally {
      await pgServer.start();
    }
    await db.end().catch(() => {});
    db = new pg.Client({ connectionString: pgServer.urlFor('postgres') });
    db.on('error', () => {});
    await db.connect();
  });
});
