import { DatabaseUnavailableError } from '@redwire/postgres-kit';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD, waitFor } from './support/auth-stack';

describe('registration failure points', () => {
  let f: AuthFixture;
  let db: pg.Client;
  let failActivation = false;
  beforeAll(async () => {
    f = await authFixture(
      { USER_SERVICE_TIMEOUT: '300' },
      {
        repositoryHooks: {
          beforeActivate: () => {
            if (failActivation)
              throw new DatabaseUnavailableError(new Error('simulated: PostgreSQL went away'));
          },
        },
      },
    );
    db = new pg.Client({ connectionString: f.dbUrl });
    await db.connect();
  });
  afterEach(async () => {
    f.peer.createFault = 'none';
    f.peer.deleteFault = 'none';
    failActivation = false;
    await f.peer.start(); // after a "down" test
  });
  afterAll(async () => {
    await db.end();
    await f.close();
  });

  const register = (email: string) =>
    f.gw.call('POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Ada' } });
  const accountRows = async (email: string) =>
    (await db.query<{ status: string }>('SELECT status FROM auth.accounts WHERE email = $1', [email])).rows;

  /** Nothing can log in, and (eventually) nothing lingers: no account row, no profile. */
  async function expectNothingLeft(email: string) {
    expect((await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    );
    await waitFor(
      async () => (await accountRows(email)).length === 0 && !f.peer.byEmail(email),
      5000,
      'cleanup',
    );
  }

  it('when every step succeeds, then the profile exists and the account is active', async () => {
    const email = anEmail();
    const res = await register(email);
    expect(res.status).toBe(201);
    expect(f.peer.profiles.get((res.body.user as { id: string }).id)).toMatchObject({ email });
    expect(await accountRows(email)).toEqual([{ status: 'active' }]);
  });

  it('when the user service already holds the email under another id, then 409 and no account', async () => {
    const email = anEmail();
    f.peer.profiles.set('0190a5a0-0000-7000-8000-00000000abcd', {
      id: '0190a5a0-0000-7000-8000-00000000abcd',
      email,
      name: 'Old',
      bio: '',
      createdAt: '',
      updatedAt: '',
      version: 1,
    });
    const res = await register(email);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('E_EMAIL_TAKEN');
    expect(await accountRows(email)).toEqual([]);
  });

  it('when the user service is down, then 503 and nothing is left', async () => {
    await f.peer.stop();
    const email = anEmail();
    const res = await register(email);
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('E_UNAVAILABLE');
    await expectNothingLeft(email);
  });

  it('when the user service answers 500 before creating, then 503 and nothing is left', async () => {
    f.peer.createFault = 'error-before';
    const email = anEmail();
    expect((await register(email)).status).toBe(503);
    await expectNothingLeft(email);
  });

  it('when the user service creates the profile but answers 500, then the profile is deleted again', async () => {
    f.peer.createFault = 'error-after';
    const email = anEmail();
    expect((await register(email)).status).toBe(503);
    expect(f.peer.calls.at(-1)).toMatch(/^DELETE \/internal\/users\//);
    await expectNothingLeft(email);
  });

  it('when the user service times out after creating, then the profile is deleted again', async () => {
    f.peer.createFault = 'slow-after';
    f.peer.delayMs = 600;
    const email = anEmail();
    const started = performance.now();
    expect((await register(email)).status).toBe(503);
    expect(performance.now() - started).toBeLessThan(2500);
    await expectNothingLeft(email);
  });

  it('when the create lands after the rollback, then its user.created event makes auth delete the orphan', async () => {
    f.peer.createFault = 'slow-before';
    f.peer.delayMs = 600;
    const email = anEmail();
    expect((await register(email)).status).toBe(503);
    expect(await accountRows(email)).toEqual([]);
    await waitFor(() => f.peer.createdEmails.includes(email), 3000, 'the late create');
    await expectNothingLeft(email);
  });

  it('when PostgreSQL fails after the profile was created, then the profile is deleted and 503', async () => {
    failActivation = true;
    const email = anEmail();
    const res = await register(email);
    expect(res.status).toBe(503);
    await expectNothingLeft(email);
  });

  it('when the rollback itself fails, then a pending row that cannot log in remains until the reaper undoes it', async () => {
    f.peer.createFault = 'error-after';
    f.peer.deleteFault = 'error';
    const email = anEmail();
    expect((await register(email)).status).toBe(503);
    expect(await accountRows(email)).toEqual([{ status: 'pending' }]);
    expect(f.peer.byEmail(email)).toBeDefined();
    expect((await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    );
    // The same email cannot be registered twice meanwhile.
    f.peer.createFault = 'none';
    expect((await register(email)).status).toBe(409);

    f.peer.deleteFault = 'none';
    expect(await f.auth.runtime.reaper.runOnce()).toBe(0); // not stale yet: it could still be in flight
    await db.query(`UPDATE auth.accounts SET created_at = now() - interval '1 hour' WHERE email = $1`, [
      email,
    ]);
    expect(await f.auth.runtime.reaper.runOnce()).toBe(1);
    await expectNothingLeft(email);
    expect((await register(email)).status).toBe(201);
  });

  it('when the process dies between the profile and activation, then the reaper undoes the registration', async () => {
    const email = anEmail();
    // What a crash leaves: the pending row and the profile, nothing else.
    const id = '0190a5a0-0000-7000-8000-00000000dead';
    await f.auth.runtime.accounts.insertPending({
      id,
      email,
      passwordHash:
        '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
      role: 'user',
      sessionTag: 'AAAAAAAAAAAAAAAA',
    });
    f.peer.profiles.set(id, { id, email, name: 'Ada', bio: '', createdAt: '', updatedAt: '', version: 1 });
    await db.query(`UPDATE auth.accounts SET created_at = now() - interval '1 hour' WHERE id = $1`, [id]);
    expect(await f.auth.runtime.reaper.runOnce()).toBe(1);
    await expectNothingLeft(email);
  });
});
