import { PROTOTYPE_KEYS } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD } from './support/auth-stack';

// Keys named like members of Object.prototype once answered 500 here; a name the user service refuses once
// answered 503. Every one of them is the client's mistake: a 400 naming the field, and nothing changes.

describe('hostile input at auth', () => {
  let f: AuthFixture;
  let userToken: string;
  let adminToken: string;
  let userId: string;
  beforeAll(async () => {
    f = await authFixture();
    const email = anEmail();
    userId = await f.register(email);
    userToken = (await f.login(email)).token;
    const admin = anEmail('admin');
    await f.registerAdmin(admin);
    adminToken = (await f.login(admin)).token;
  });
  afterAll(() => f.close());

  const accountCount = async () =>
    Number((await f.auth.runtime.pool.query('SELECT count(*) AS n FROM auth.accounts')).rows[0]?.n);

  it('when a body of login, register, password change or an admin PATCH holds a prototype-named key, then 400 naming it', async () => {
    const before = await accountCount();
    for (const key of PROTOTYPE_KEYS) {
      const extra = `${JSON.stringify(key)}:"x"`;
      const calls = [
        f.gw.call('POST', '/auth/login', { body: `{"email":"a@example.com","password":"p",${extra}}` }),
        f.gw.call('POST', '/auth/login', { body: `{${extra}}` }),
        f.gw.call('POST', '/auth/register', {
          body: `{"email":"${anEmail()}","password":"${PASSWORD}","name":"A",${extra}}`,
        }),
        f.gw.call('POST', '/auth/password', {
          token: userToken,
          body: `{"currentPassword":"${PASSWORD}","newPassword":"another long password",${extra}}`,
        }),
        f.gw.call('PATCH', `/auth/accounts/${userId}`, {
          token: adminToken,
          body: `{"tier":"pro",${extra}}`,
        }),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status, key).toBe(400);
        expect(res.body.code, key).toBe('E_VALIDATION');
        expect(Object.keys(res.body.errors as object), key).toContain(key);
      }
    }
    expect(await accountCount()).toBe(before);
    // The password did not change and the tier was not applied.
    expect((await f.gw.call('GET', '/auth/me', { token: userToken })).body.user).toMatchObject({
      tier: 'free',
    });
  });

  it('when a registration name holds a tab, line break, NUL or DEL, then auth answers 400 itself and never calls the user service', async () => {
    const before = await accountCount();
    const calls = f.peer.calls.length;
    for (const name of ['A\tB', 'A\nB', 'A\rB', 'A\u0000B', 'A\u007fB', 'A\ud800']) {
      const res = await f.gw.call('POST', '/auth/register', {
        body: { email: anEmail(), password: PASSWORD, name },
      });
      expect(res.status, JSON.stringify(name)).toBe(400);
      expect(Object.keys(res.body.errors as object)).toEqual(['name']);
    }
    expect(f.peer.calls.length).toBe(calls);
    expect(await accountCount()).toBe(before);
  });

  it('when the user service refuses a profile auth accepted, then the registrant gets that 400 (never a 503) and no account remains', async () => {
    const before = await accountCount();
    f.peer.createFault = 'reject';
    try {
      const res = await f.gw.call('POST', '/auth/register', {
        body: { email: anEmail(), password: PASSWORD, name: 'Ada' },
      });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('E_VALIDATION');
      // Only what the registrant sent is named; the internal id is not theirs to fix.
      expect(res.body.errors).toEqual({ name: ['must not contain control characters'] });
    } finally {
      f.peer.createFault = 'none';
    }
    expect(await accountCount()).toBe(before);
  });
});
