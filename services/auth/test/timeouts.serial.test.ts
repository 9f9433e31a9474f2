import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture, PASSWORD } from './support/auth-stack';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('auth timeouts (wall clock)', () => {
  let f: AuthFixture;
  beforeAll(async () => {
    f = await authFixture({
      SESSION_IDLE_TIMEOUT: '1200ms',
      SESSION_ABSOLUTE_TIMEOUT: '3s',
      LOGIN_BACKOFF_AFTER: '2',
      LOGIN_BACKOFF_BASE: '800ms',
      LOGIN_BACKOFF_MAX: '1600ms',
    });
  });
  afterAll(() => f.close());

  const login = (email: string, password = PASSWORD) =>
    f.gw.call('POST', '/auth/login', { body: { email, password } });

  it('when a session goes unused past the idle timeout, then the first request after it is a 401', async () => {
    const email = anEmail();
    await f.register(email);
    const { token } = await f.login(email);
    expect((await f.gw.call('GET', '/auth/me', { token })).status).toBe(200);
    await sleep(1500);
    expect(await f.gw.reader.validate(token)).toEqual({ valid: false, reason: 'unknown' });
    const me = await f.gw.call('GET', '/auth/me', { token });
    expect(me.status).toBe(401);
  });

  it('when a session is used all the time, then it still ends at the absolute timeout', async () => {
    const email = anEmail();
    await f.register(email);
    const res = await login(email);
    const token = res.body.token as string;
    const createdAt = Date.parse((res.body.session as { createdAt: string }).createdAt);
    // The reader's default touch interval (60 s) is capped at half the idle timeout, so this keeps it alive.
    while (Date.now() < createdAt + 2700) {
      expect((await f.gw.reader.validate(token)).valid).toBe(true);
      await sleep(200);
    }
    await sleep(Math.max(0, createdAt + 3100 - Date.now()));
    expect((await f.gw.call('GET', '/auth/me', { token })).status).toBe(401);
  });

  it('when failures continue, then the back-off doubles and ends, and the right password works again', async () => {
    const email = anEmail();
    await f.register(email);
    expect((await login(email, 'wrong password, number one')).status).toBe(401);
    expect((await login(email, 'wrong password, number two')).status).toBe(401); // starts an 800 ms back-off
    expect((await login(email)).status).toBe(401);
    await sleep(900);
    expect((await login(email, 'wrong password, number three')).status).toBe(401); // now 1600 ms
    await sleep(900);
    expect((await login(email)).status).toBe(401);
    await sleep(900);
    expect((await login(email)).status).toBe(200);
  });
});
