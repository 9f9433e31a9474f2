import { deriveKey, KEY_LABELS } from '@redwire/http-kit';
import { Keyspace } from '@redwire/redis-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../src/throttle/login-throttle';
import { type AuthFixture, anEmail, authFixture, PASSWORD, SIGNING_KEY } from './support/auth-stack';

// Back-off keyed by email and client address (the gateway forwards the X-Forwarded-For it vouches for; auth
// trusts it from loopback). Timing-sensitive: it waits for an account-wide back-off to run out.

const CEILING_MS = 1500;
const ACCOUNT_AFTER = 5;
const WINDOW_MS = 60_000;
const PAIR_MAX_MS = 600_000;

describe('login back-off by email and client address', () => {
  let f: AuthFixture;
  let throttle: LoginThrottle;
  const verifications: string[] = [];
  beforeAll(async () => {
    f = await authFixture(
      {
        LOGIN_BACKOFF_AFTER: '3',
        LOGIN_BACKOFF_BASE: '1s',
        LOGIN_BACKOFF_MAX: `${PAIR_MAX_MS}`,
        LOGIN_BACKOFF_ACCOUNT_AFTER: String(ACCOUNT_AFTER),
        LOGIN_BACKOFF_ACCOUNT_CEILING: `${CEILING_MS}`,
        LOGIN_FAILURE_WINDOW: `${WINDOW_MS}`,
      },
      { onVerify: (kind) => verifications.push(kind) },
    );
    // The same records, read directly (same keyspace and derived key as the service).
    throttle = new LoginThrottle({
      redis: f.redis,
      keyspace: new Keyspace({ service: 'auth', namespace: f.namespace }),
      hmacKey: deriveKey(SIGNING_KEY, KEY_LABELS.loginThrottle),
    });
  });
  afterAll(() => f.close());

  const login = (email: string, password: string, ip: string) =>
    f.gw.call('POST', '/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': ip } });

  it('when an attacker fails from one address, then only that address is locked out; the owner elsewhere logs in', async () => {
    const victim = anEmail('victim');
    await f.register(victim);
    for (let i = 0; i < 10; i++)
      expect((await login(victim, 'attacker guess number x', '203.0.113.7')).status).toBe(401);
    expect((await throttle.lockedFor(victim, '203.0.113.7')).scope).toBe('pair');
    // Even the right password is refused at the attacker's address …
    expect((await login(victim, PASSWORD, '203.0.113.7')).status).toBe(401);
    // … while the owner, elsewhere, is not held at all (3 counted failures < the account threshold).
    expect(await throttle.lockedFor(victim, '198.51.100.20')).toEqual({ remainingMs: 0, scope: 'none' });
    expect((await login(victim, PASSWORD, '198.51.100.20')).status).toBe(200);
  });

  it('when guesses come from many addresses, then the account backs off: few are checked, the rest refused unverified', async () => {
    const target = anEmail('target');
    await f.register(target);
    verifications.length = 0;
    const statuses: number[] = [];
    for (let i = 1; i <= 40; i++)
      statuses.push((await login(target, `distributed guess ${i}!!`, `192.0.2.${i}`)).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    // Only the guesses before the account-wide back-off were checked against the real hash.
    expect(verifications.filter((v) => v === 'account')).toHaveLength(ACCOUNT_AFTER);
    expect(verifications.filter((v) => v === 'dummy')).toHaveLength(40 - ACCOUNT_AFTER);
    // A fresh address with the right password waits too: the account is held, but never beyond the ceiling.
    const fresh = await throttle.lockedFor(target, '2001:db8:aa::1');
    expect(fresh.scope).toBe('account');
    expect(fresh.remainingMs).toBeGreaterThan(0);
    expect(fresh.remainingMs).toBeLessThanOrEqual(CEILING_MS);
    expect((await login(target, PASSWORD, '2001:db8:aa::1')).status).toBe(401);
  });

  it('when a third party has failed from many addresses, then the owner at a new address waits at most the ceiling, and at a known address not at all', async () => {
    const owner = anEmail('owner');
    await f.register(owner);
    const home = '198.51.100.77';
    expect((await login(owner, PASSWORD, home)).status).toBe(200); // home becomes a known address
    const attack = async (from: number, to: number) => {
      for (let i = from; i < to; i++) await login(owner, `third party guess ${i}!`, `192.0.2.${i}`);
    };
    await attack(1, 30);
    expect((await throttle.lockedFor(owner, '203.0.113.99')).scope).toBe('account');
    // Known address: exempt from the account-wide back-off.
    expect(await throttle.lockedFor(owner, home)).toEqual({ remainingMs: 0, scope: 'none' });
    expect((await login(owner, PASSWORD, home)).status).toBe(200);
    // New address: held at most the ceiling after the attacker's latest counted failure, then in.
    const travel = '203.0.113.99';
    const started = Date.now();
    let waited = 0;
    for (;;) {
      const state = await throttle.lockedFor(owner, travel);
      expect(state.remainingMs).toBeLessThanOrEqual(CEILING_MS);
      if (state.remainingMs === 0) break;
      await new Promise((r) => setTimeout(r, state.remainingMs + 20));
      waited = Date.now() - started;
    }
    expect(waited).toBeLessThan(CEILING_MS + 2000);
    expect((await login(owner, PASSWORD, travel)).status).toBe(200);
  });

  it('when IPv6 clients rotate addresses inside one /56, then they share one record', async () => {
    const email = anEmail('v6');
    for (const suffix of ['1', '2', 'ffff', '1:2:3'])
      await login(email, 'a wrong password!!', `2001:db8:5:ab00::${suffix}`);
    expect((await throttle.lockedFor(email, '2001:db8:5:abff::9')).scope).toBe('pair');
    expect((await throttle.lockedFor(email, '2001:db8:5:ac00::1')).scope).not.toBe('pair');
  });

  it('when failures are recorded, then every record is a two-field hash with a TTL, and neither email nor address is in a key', async () => {
    const email = anEmail('records');
    for (let i = 0; i < 6; i++) await login(email, 'wrong password again', '192.0.2.200');
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await f.redis.scan(cursor, 'MATCH', `${f.namespace}:auth:login-*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain('@');
      expect(key).not.toContain('192.0.2');
      const ttl = await f.redis.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      if (key.includes(':login-failures:')) {
        expect(ttl, key).toBeLessThanOrEqual(WINDOW_MS + PAIR_MAX_MS);
        expect((await f.redis.hkeys(key)).sort().join(), key).toMatch(/^n(,until)?$/);
      }
    }
  });
});
