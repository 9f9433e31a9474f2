import { deriveKey, KEY_LABELS } from '@redwire/http-kit';
import { Keyspace } from '@redwire/redis-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../src/throttle/login-throttle';
import { type AuthFixture, anEmail, authFixture, PASSWORD, SIGNING_KEY } from './support/auth-stack';

// Back-off keyed by email and client address (the gateway forwards the X-Forwarded-For it vouches for; auth
// trusts it from loopback), on real Redis. Two service instances: one whose back-offs last a minute, so no
// lock runs out between two steps however slow the box, and one whose account-wide ceiling is 1.5 s, for
// the test that waits for it (timing-sensitive, hence a serial file).

const ACCOUNT_AFTER = 5;
const CEILING_MS = 1500;
const WINDOW_MS = 60_000;
const PAIR_MAX_MS = 600_000;

interface Instance {
  f: AuthFixture;
  throttle: LoginThrottle;
  login(email: string, password: string, ip: string): ReturnType<AuthFixture['gw']['call']>;
}

async function instance(env: Record<string, string>, verifications: string[]): Promise<Instance> {
  const f = await authFixture(
    {
      LOGIN_BACKOFF_AFTER: '3',
      LOGIN_BACKOFF_ACCOUNT_AFTER: String(ACCOUNT_AFTER),
      LOGIN_BACKOFF_MAX: `${PAIR_MAX_MS}`,
      LOGIN_FAILURE_WINDOW: `${WINDOW_MS}`,
      ...env,
    },
    { onVerify: (kind) => verifications.push(kind) },
  );
  return {
    f,
    // The service's own records, read directly (same keyspace, same derived key).
    throttle: new LoginThrottle({
      redis: f.redis,
      keyspace: new Keyspace({ service: 'auth', namespace: f.namespace }),
      hmacKey: deriveKey(SIGNING_KEY, KEY_LABELS.loginThrottle),
    }),
    login: (email, password, ip) =>
      f.gw.call('POST', '/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': ip } }),
  };
}

describe('login back-off by email and client address', () => {
  const verifications: string[] = [];
  let slow: Instance;
  let fast: Instance;
  beforeAll(async () => {
    slow = await instance({ LOGIN_BACKOFF_BASE: '60s', LOGIN_BACKOFF_ACCOUNT_CEILING: '60s' }, verifications);
    fast = await instance({ LOGIN_BACKOFF_BASE: '1s', LOGIN_BACKOFF_ACCOUNT_CEILING: `${CEILING_MS}` }, []);
  });
  afterAll(async () => {
    await slow?.f.close();
    await fast?.f.close();
  });

  it('when an attacker fails from one address, then only that address is locked out; the owner elsewhere logs in', async () => {
    const victim = anEmail('victim');
    await slow.f.register(victim);
    for (let i = 0; i < 10; i++) {
      expect((await slow.login(victim, 'attacker guess number x', '203.0.113.7')).status).toBe(401);
    }
    expect((await slow.throttle.lockedFor(victim, '203.0.113.7')).scope).toBe('pair');
    // Even the right password is refused at the attacker's address …
    expect((await slow.login(victim, PASSWORD, '203.0.113.7')).status).toBe(401);
    // … while the owner, elsewhere, is not held at all (3 counted failures < the account threshold).
    expect(await slow.throttle.lockedFor(victim, '198.51.100.20')).toEqual({ remainingMs: 0, scope: 'none' });
    expect((await slow.login(victim, PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  it('when guesses come from many addresses, then the account backs off: only the first few are checked, the rest refused unverified', async () => {
    const target = anEmail('target');
    await slow.f.register(target);
    verifications.length = 0;
    for (let i = 1; i <= 40; i++) {
      expect((await slow.login(target, `distributed guess ${i}!!`, `192.0.2.${i}`)).status).toBe(401);
    }
    expect(verifications.filter((v) => v === 'account')).toHaveLength(ACCOUNT_AFTER);
    expect(verifications.filter((v) => v === 'dummy')).toHaveLength(40 - ACCOUNT_AFTER);
    // A fresh address with the right password is held too, and so is the owner's next new address.
    const fresh = await slow.throttle.lockedFor(target, '2001:db8:aa::1');
    expect(fresh.scope).toBe('account');
    expect((await slow.login(target, PASSWORD, '2001:db8:aa::1')).status).toBe(401);
  });

  it('when a third party has failed from many addresses, then the owner at a new address waits at most the ceiling, and at a known address not at all', async () => {
    const owner = anEmail('owner');
    await fast.f.register(owner);
    const home = '198.51.100.77';
    expect((await fast.login(owner, PASSWORD, home)).status).toBe(200); // home becomes a known address
    for (let i = 1; i < 30; i++) await fast.login(owner, `third party guess ${i}!`, `192.0.2.${i}`);
    // One more counted failure right now, so the account-wide back-off is surely running for what follows.
    await fast.throttle.recordFailure(owner, '192.0.2.250');
    const travel = '203.0.113.99';
    const held = await fast.throttle.lockedFor(owner, travel);
    expect(held.scope).toBe('account');
    expect(held.remainingMs).toBeLessThanOrEqual(CEILING_MS);
    // The known address is exempt from the account-wide back-off.
    expect(await fast.throttle.lockedFor(owner, home)).toEqual({ remainingMs: 0, scope: 'none' });
    expect((await fast.login(owner, PASSWORD, home)).status).toBe(200);
    // The new address: never told to wait longer than the ceiling, then in.
    for (;;) {
      const state = await fast.throttle.lockedFor(owner, travel);
      expect(state.remainingMs).toBeLessThanOrEqual(CEILING_MS);
      if (state.remainingMs === 0) break;
      await new Promise((r) => setTimeout(r, state.remainingMs + 20));
    }
    expect((await fast.login(owner, PASSWORD, travel)).status).toBe(200);
  });

  it('when IPv6 clients rotate addresses inside one /56, then they share one record', async () => {
    const email = anEmail('v6');
    for (const suffix of ['1', '2', 'ffff', '1:2:3']) {
      await slow.login(email, 'a wrong password!!', `2001:db8:5:ab00::${suffix}`);
    }
    expect((await slow.throttle.lockedFor(email, '2001:db8:5:abff::9')).scope).toBe('pair');
    expect((await slow.throttle.lockedFor(email, '2001:db8:5:ac00::1')).scope).not.toBe('pair');
  });

  it('when failures are recorded, then every record is a two-field hash with a TTL, and neither email nor address is in a key', async () => {
    const email = anEmail('records');
    for (let i = 0; i < 6; i++) await slow.login(email, 'wrong password again', '192.0.2.200');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await slow.f.redis.scan(
        cursor,
        'MATCH',
        `${slow.f.namespace}:auth:login-*`,
        'COUNT',
        1000,
      );
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain('@');
      expect(key).not.toContain('192.0.2');
      const ttl = await slow.f.redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      if (key.includes(':login-failures:')) {
        expect(ttl, key).toBeLessThanOrEqual(WINDOW_MS + PAIR_MAX_MS);
        expect((await slow.f.redis.hkeys(key)).sort().join(), key).toMatch(/^n(,until)?$/);
      }
    }
  });
});
