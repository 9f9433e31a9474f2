import { startRedisServer } from '@redwire/launchers';
import { DeadlineExceededError, isRedisUnavailableError, type RedisClient } from '@redwire/redis-kit';
import { pauseRedis } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseToken, SessionReader, SessionStore } from '../src';
import { anAccount, backends, connect, created, keysUnder, sessionsOn } from './support/backends';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends)('session timeouts on %s', (backend) => {
  let redis: RedisClient;
  beforeAll(async () => {
    redis = await connect(backend);
  });
  afterAll(() => redis.disconnect());

  it('when a session is touched for longer than the absolute timeout, then it never outlives it', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, {
      idleTimeoutMs: 400,
      absoluteTimeoutMs: 1200,
      touchIntervalMs: 0,
    });
    const account = anAccount();
    const { token, session } = await created(store, account);
    const key = `${keyPrefix}{${account.tag}}:s:${parseToken(token)?.member}`;
    const absolute = session.absoluteExpiresAt.getTime();
    let touches = 0;
    while (Date.now() < absolute + 300) {
      const result = await reader.validate(token);
      if (result.valid) {
        touches += result.session.touched ? 1 : 0;
        expect(result.session.expiresAt.getTime()).toBeLessThanOrEqual(absolute);
        const [seconds, micros] = await redis.time();
        const pttl = await redis.pttl(key);
        if (pttl > 0)
          expect(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + pttl).toBeLessThanOrEqual(
            absolute + 1,
          );
      } else {
        // Only after the absolute expiry (Redis time; allow for the clock read above being a little early).
        expect(Date.now()).toBeGreaterThanOrEqual(absolute - 50);
        expect(result.reason).toBe('unknown');
      }
      await sleep(50);
    }
    expect(touches).toBeGreaterThan(5);
    expect((await reader.validate(token)).valid).toBe(false);
  });

  it('when the idle timeout passes without use, then the first request after it is refused', async () => {
    const { store, reader } = sessionsOn(redis, {
      idleTimeoutMs: 1500,
      absoluteTimeoutMs: 60_000,
      touchIntervalMs: 0,
    });
    const { token } = await created(store, anAccount());
    await sleep(900);
    expect((await reader.validate(token)).valid).toBe(true); // slides the idle expiry
    await sleep(900);
    expect((await reader.validate(token)).valid).toBe(true); // past the first idle expiry, alive thanks to the touch
    await sleep(1700);
    expect(await reader.validate(token)).toEqual({ valid: false, reason: 'unknown' });
  });

  it('when validations repeat within the touch interval, then exactly one write slides the expiry', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, { touchIntervalMs: 1000 });
    const account = anAccount();
    const { token } = await created(store, account);
    const key = `${keyPrefix}{${account.tag}}:s:${parseToken(token)?.member}`;
    const createdLa = await redis.hget(key, 'la');
    await sleep(1100);
    const results = [];
    for (let i = 0; i < 100; i++) results.push(await reader.validate(token));
    const touched = results.filter((r) => r.valid && r.session.touched);
    expect(touched).toHaveLength(1);
    expect(results[0]).toMatchObject({ valid: true, session: { touched: true } });
    expect(Number(await redis.hget(key, 'la'))).toBeGreaterThan(Number(createdLa));
  });

  it('when every session of a user expires, then the index is gone too', async () => {
    const { store, reader, keyPrefix } = sessionsOn(redis, {
      idleTimeoutMs: 600,
      absoluteTimeoutMs: 5_000,
      touchIntervalMs: 0,
    });
    const account = anAccount();
    const first = await created(store, account);
    await sleep(150);
    await created(store, account);
    await reader.validate(first.token); // slides the first one past the second
    const index = `${keyPrefix}{${account.tag}}:ix`;
    expect(await redis.zcard(index)).toBe(2);
    await sleep(1100);
    expect(await keysUnder(redis, `${keyPrefix}{${account.tag}}:s:`)).toEqual([]);
    expect(await redis.exists(index)).toBe(0);
  });
});

describe('the reader deadline', () => {
  it('when Redis is paused, then a validation rejects with DeadlineExceededError after about the deadline and works again after', async () => {
    const server = await startRedisServer();
    const redis = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false });
    await redis.connect();
    const store = new SessionStore({ redis });
    const reader = new SessionReader({ redis, deadlineMs: 100, breaker: false });
    try {
      const { token } = await created(store, anAccount());
      expect((await reader.validate(token)).valid).toBe(true);
      await pauseRedis(server.url, 1500);
      const started = performance.now();
      const error = await reader.validate(token).catch((e: unknown) => e);
      const took = performance.now() - started;
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect(isRedisUnavailableError(error)).toBe(true);
      expect(took).toBeGreaterThanOrEqual(95);
      expect(took).toBeLessThan(1000);
      await sleep(1600);
      expect((await reader.validate(token)).valid).toBe(true);
    } finally {
      reader.close();
      redis.disconnect();
      await server.stop();
    }
  });
});
