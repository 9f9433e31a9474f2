import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD } from './support/auth-stack';

describe('auth API', () => {
  let f: AuthFixture;
  const admin = anEmail('admin');
  beforeAll(async () => {
    f = await authFixture();
    await f.registerAdmin(admin);
  });
  afterAll(() => f.close());

  it('when a user registers, then 201 returns the profile and the user can log in with a __Host- cookie', async () => {
    const email = anEmail();
    const reg = await f.gw.call('POST', '/auth/register', {
      body: { email: ` ${email.toUpperCase()} `, password: PASSWORD, name: ' Ada ' },
    });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ email, name: 'Ada' });
    expect(reg.headers.get('cache-control')).toBe('no-store');

    const login = await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({
      user: { id: (reg.body.user as { id: string }).id, email, role: 'user', tier: 'free' },
    });
    const token = login.body.token as string;
    const session = login.body.session as Record<string, string>;
    expect(token.startsWith(`${session.id}.`)).toBe(true);
    expect(Object.keys(session).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'idleExpiresAt']);
    expect(login.headers.get('cache-control')).toBe('no-store');
    expect(login.headers.get('set-cookie')).toBe(
      `__Host-sid=${token}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
  });

  it('when an operator granted an account admin, then its sessions carry role admin', async () => {
    const { token } = await f.login(admin);
    const me = await f.gw.call('GET', '/auth/me', { token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: admin, role: 'admin' });
  });

  it('when an email registers twice, then the second gets 409 E_EMAIL_TAKEN', async () => {
    const email = anEmail();
    await f.register(email);
    const again = await f.gw.call('POST', '/auth/register', {
      body: { email, password: PASSWORD, name: 'Bob' },
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('E_EMAIL_TAKEN');
  });

  it('when registration input breaks the rules, then 400 with per-field errors and nothing is created', async () => {
    const cases = [
      { email: 'not-an-email', password: PASSWORD, name: 'A' },
      { email: anEmail(), password: 'short password', name: 'A' },
      { email: anEmail(), password: 'x'.repeat(257), name: 'A' },
      { email: anEmail(), password: PASSWORD, name: '   ' },
      { email: anEmail(), password: PASSWORD, name: 'A', role: 'admin' },
      { email: `${'a'.repeat(250)}@example.com`, password: PASSWORD, name: 'A' },
    ];
    for (const body of cases) {
      const res = await f.gw.call('POST', '/auth/register', { body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.code).toBe('E_VALIDATION');
    }
    const emoji = await f.gw.call('POST', '/auth/register', {
      body: { email: anEmail(), password: '🔑'.repeat(15), name: 'A' },
    });
    expect(emoji.status).toBe(201); // 15 characters, 30 UTF-16 units, 60 bytes: counted as 15
  });

  it('when me, sessions and revoke are called without a session, then 401', async () => {
    for (const [method, path] of [
      ['GET', '/auth/me'],
      ['GET', '/auth/sessions'],
      ['DELETE', `/auth/sessions/${'A'.repeat(38)}`],
      ['POST', '/auth/logout-all'],
    ] as const) {
      const res = await f.gw.call(method, path);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('E_UNAUTHENTICATED');
    }
  });

  it('when a user lists sessions, then each live one is shown with the current one marked', async () => {
    const email = anEmail();
    await f.register(email);
    const a = await f.login(email);
    const b = await f.gw.call('POST', '/auth/login', {
      body: { email, password: PASSWORD },
      headers: { 'user-agent': 'phone' },
    });
    const list = await f.gw.call('GET', '/auth/sessions', { token: a.token });
    expect(list.status).toBe(200);
    const sessions = list.body.sessions as Record<string, unknown>[];
    expect(sessions).toHaveLength(2);
    expect(sessions.map((s) => s.current)).toEqual([true, false]);
    expect(sessions[1]).toMatchObject({
      id: (b.body.session as { id: string }).id,
      userAgent: 'phone',
      ip: '127.0.0.1',
    });
    expect(Object.keys(sessions[0] ?? {}).sort()).toEqual(
      ['createdAt', 'current', 'expiresAt', 'id', 'ip', 'lastActiveAt', 'userAgent'].sort(),
    );
  });

  it("when a user revokes another user's session id, then 404 and that session survives", async () => {
    const alice = anEmail('alice');
    const bob = anEmail('bob');
    await f.register(alice);
    await f.register(bob);
    const a = await f.login(alice);
    const b = await f.login(bob);
    const bobSession = b.token.split('.')[0] as string;
    const res = await f.gw.call('DELETE', `/auth/sessions/${bobSession}`, { token: a.token });
    expect(res.status).toBe(404);
    expect((await f.gw.reader.validate(b.token)).valid).toBe(true);
    expect((await f.gw.call('DELETE', '/auth/sessions/not-a-session', { token: a.token })).status).toBe(400);
    expect((await f.gw.call('DELETE', `/auth/sessions/${bobSession}`, { token: b.token })).status).toBe(204);
    expect((await f.gw.reader.validate(b.token)).valid).toBe(false);
  });

  it('when a user logs out, then 204 clears the cookie and site data, and the token is dead', async () => {
    const email = anEmail();
    await f.register(email);
    const { token } = await f.login(email);
    const res = await f.gw.call('POST', '/auth/logout', { token });
    expect(res.status).toBe(204);
    expect(res.headers.get('clear-site-data')).toBe('"cache", "cookies", "storage"');
    expect(res.headers.get('set-cookie')).toMatch(
      /^__Host-sid=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect((await f.gw.reader.validate(token)).valid).toBe(false);
    // Again with the dead token, with a cookie, with garbage, with nothing: still 204.
    expect((await f.gw.call('POST', '/auth/logout', { token })).status).toBe(204);
    expect(
      (await f.gw.call('POST', '/auth/logout', { headers: { cookie: '__Host-sid=garbage' } })).status,
    ).toBe(204);
    expect((await f.gw.call('POST', '/auth/logout')).status).toBe(204);
  });

  it('when a cookie-only client logs out, then the cookie token is revoked', async () => {
    const email = anEmail();
    await f.register(email);
    const { token } = await f.login(email);
    const res = await f.gw.call('POST', '/auth/logout', {
      headers: { cookie: `theme=x; __Host-sid=${token}` },
    });
    expect(res.status).toBe(204);
    expect((await f.gw.reader.validate(token)).valid).toBe(false);
  });

  it('when a user logs out everywhere, then every session ends', async () => {
    const email = anEmail();
    await f.register(email);
    const tokens = [(await f.login(email)).token, (await f.login(email)).token, (await f.login(email)).token];
    const res = await f.gw.call('POST', '/auth/logout-all', { token: tokens[0] });
    expect(res.status).toBe(204);
    for (const token of tokens) expect((await f.gw.reader.validate(token)).valid).toBe(false);
    expect((await f.login(email)).token).toBeTruthy();
  });

  it('when the password changes, then the caller gets a new session and every old one is revoked', async () => {
    const email = anEmail();
    await f.register(email);
    const a = await f.login(email);
    const b = await f.login(email);
    const newPassword = 'a completely different passphrase';
    const wrong = await f.gw.call('POST', '/auth/password', {
      token: a.token,
      body: { currentPassword: 'not the password at all', newPassword },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('E_INVALID_CREDENTIALS');
    const weak = await f.gw.call('POST', '/auth/password', {
      token: a.token,
      body: { currentPassword: PASSWORD, newPassword: 'too short' },
    });
    expect(weak.status).toBe(400);

    const res = await f.gw.call('POST', '/auth/password', {
      token: a.token,
      body: { currentPassword: PASSWORD, newPassword },
    });
    expect(res.status).toBe(200);
    const token = res.body.token as string;
    expect(res.headers.get('set-cookie')).toContain(`__Host-sid=${token};`);
    expect((await f.gw.reader.validate(a.token)).valid).toBe(false);
    expect((await f.gw.reader.validate(b.token)).valid).toBe(false);
    expect((await f.gw.reader.validate(token)).valid).toBe(true);
    expect((await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    );
    expect((await f.login(email, newPassword)).token).toBeTruthy();
  });

  it('when sessions end, then each one is announced as session.revoked on auth-events', async () => {
    const email = anEmail();
    const userId = await f.register(email);
    const stream = `${f.namespace}:auth:stream:{auth-events}`;
    const since = (await f.redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
    const [a, b, c] = [await f.login(email), await f.login(email), await f.login(email)];
    const sid = (t: string) => t.split('.')[0] as string;
    await f.gw.call('POST', '/auth/logout', { token: a.token });
    await f.gw.call('DELETE', `/auth/sessions/${sid(b.token)}`, { token: c.token });
    await f.gw.call('POST', '/auth/logout-all', { token: c.token });
    const entries = await f.redis.xrange(stream, `(${since}`, '+');
    const events = entries.map(([, fields]) => {
      const map: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
      return map;
    });
    expect(events.map((e) => [e.type, e.sessionId])).toEqual([
      ['session.revoked', sid(a.token)],
      ['session.revoked', sid(b.token)],
      ['session.revoked', sid(c.token)],
    ]);
    expect(events.slice(1).every((e) => e.userId === userId && e.eventId && e.occurredAt)).toBe(true);
  });

  it('when an admin changes role and tier, then live sessions carry them at the next request', async () => {
    const adminToken = (await f.login(admin)).token;
    const email = anEmail();
    const id = await f.register(email);
    const { token } = await f.login(email);
    const userPatch = await f.gw.call('PATCH', `/auth/accounts/${id}`, { token, body: { tier: 'pro' } });
    expect(userPatch.status).toBe(403);
    const res = await f.gw.call('PATCH', `/auth/accounts/${id}`, {
      token: adminToken,
      body: { role: 'admin', tier: 'pro' },
    });
    expect(res.status).toBe(200);
    expect(res.body.account).toMatchObject({ id, email, role: 'admin', tier: 'pro', status: 'active' });
    expect(await f.gw.reader.validate(token)).toMatchObject({
      valid: true,
      session: { role: 'admin', tier: 'pro' },
    });
  });

  it('when an admin disables an account, then its sessions end at once and it cannot log in', async () => {
    const adminToken = (await f.login(admin)).token;
    const email = anEmail();
    const id = await f.register(email);
    const tokens = [(await f.login(email)).token, (await f.login(email)).token];
    const res = await f.gw.call('PATCH', `/auth/accounts/${id}`, {
      token: adminToken,
      body: { status: 'disabled' },
    });
    expect(res.status).toBe(200);
    for (const token of tokens) expect((await f.gw.reader.validate(token)).valid).toBe(false);
    expect((await f.gw.call('POST', '/auth/login', { body: { email, password: PASSWORD } })).status).toBe(
      401,
    );
    await f.gw.call('PATCH', `/auth/accounts/${id}`, { token: adminToken, body: { status: 'active' } });
    expect((await f.login(email)).token).toBeTruthy();
  });

  it('when an admin PATCH is malformed or names no account, then 400 or 404', async () => {
    const adminToken = (await f.login(admin)).token;
    const id = await f.register(anEmail());
    const bad = [{}, { role: 'root' }, { tier: 'gold' }, { status: 'pending' }, { email: 'x@example.com' }];
    for (const body of bad) {
      expect((await f.gw.call('PATCH', `/auth/accounts/${id}`, { token: adminToken, body })).status).toBe(
        400,
      );
    }
    expect(
      (await f.gw.call('PATCH', '/auth/accounts/123', { token: adminToken, body: { tier: 'pro' } })).status,
    ).toBe(400);
    const missing = await f.gw.call('PATCH', '/auth/accounts/0190a5a0-0000-7000-8000-000000000000', {
      token: adminToken,
      body: { tier: 'pro' },
    });
    expect(missing.status).toBe(404);
    expect((await f.gw.call('PATCH', `/auth/accounts/${id}`, { body: { tier: 'pro' } })).status).toBe(401);
  });

  it('when login input is malformed, then 400 (never 500); a wrong-shaped token on logout is fine', async () => {
    const cases: unknown[] = [
      {},
      { email: 'a@example.com' },
      { email: 1, password: 'x' },
      { email: 'a@example.com', password: 'x'.repeat(257) },
    ];
    for (const body of cases) expect((await f.gw.call('POST', '/auth/login', { body })).status).toBe(400);
    const notJson = await fetch(`${f.auth.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(notJson.status).toBe(415);
    const broken = await fetch(`${f.auth.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(broken.status).toBe(400);
    const res = await fetch(`${f.auth.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'x'.repeat(5000)}` },
    });
    expect(res.status).toBe(204);
  });
});
