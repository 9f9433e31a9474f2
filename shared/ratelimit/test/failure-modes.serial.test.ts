import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { pauseRedis } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PolicyOptions, RateLimiter, rateLimitHeaders } from '../src';
import { testPrefix } from './support/test-keys';

const DEADLINE_MS = 50;
// The CPU is shared with other suites: the margin covers timer lateness, not extra waiting by the code
// (the pause lasts 3 s).
const MARGIN_MS = 200;
/** A signed-in request: per-user and per-IP policies. */
const call = (limiter: RateLimiter) => {
  const keys: Record<string, string> = {};
  for (const { name } of limiter.policies) keys[name] = name.startsWith('u') ? 'dave' : '192.0.2.99';
  return limiter.limit(keys);
};

let server: RedisServer;
let redis: RedisClient;
beforeAll(async () => {
  server = await startRedisServer();
  redis = createRedisClient({ url: server.url, service: 'gateway-test' });
  await waitForReady(redis);
});
afterAll(async () => {
  redis.disconnect();
  await server.stop();
});

const limiters: RateLimiter[] = [];
afterAll(() => {
  for (const l of limiters) l.close();
});

/** A limiter with the defaults but for the deadline, under a prefix of its own. */
function limiterFor(policies: PolicyOptions[], instances = 1): RateLimiter {
  const limiter = new RateLimiter({
    redis,
    policies,
    prefix: testPrefix(),
    deadlineMs: DEADLINE_MS,
    instances,
  });
  limiters.push(limiter);
  return limiter;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('failure modes while Redis is paused', () => {
  it('when Redis does not answer, then every decision returns within the deadline and follows its policy failure mode', async () => {
    const open = limiterFor([{ name: 'u-open', limit: 5, period: 60, onRedisError: 'open' }]);
    const closed = limiterFor([
      { name: 'u-open', limit: 5, period: 60, onRedisError: 'open' },
      { name: 'ip-closed', limit: 5, period: 60, onRedisError: 'closed' },
    ]);
    const local = limiterFor(
      [
        { name: 'u-local', limit: 6, period: 60, onRedisError: 'local' },
        { name: 'ip-open', limit: 1, period: 60, onRedisError: 'open' },
      ],
      3,
    );
    await pauseRedis(server.url, 3000);

    const a = await timed(() => call(open));
    expect(a.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(a.value).toMatchObject({ outcome: 'allowed', source: 'degraded-open' });
    expect(rateLimitHeaders(a.value)).toEqual({ 'RateLimit-Mode': 'degraded-open' });

    const b = await timed(() => call(closed));
    expect(b.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(b.value).toMatchObject({
      allowed: false,
      outcome: 'unavailable',
      source: 'degraded-closed',
      violated: ['ip-closed'],
    });

    // 6 per minute over 3 instances: this instance admits 2, then refuses.
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await timed(() => call(local));
      expect(c.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      expect(c.value.source).toBe('degraded-local');
      outcomes.push(c.value.outcome);
      const headers = rateLimitHeaders(c.value);
      expect(headers['RateLimit-Mode']).toBe('degraded-local');
      expect(headers['RateLimit-Policy']).toBe('"u-local";q=6;w=60');
    }
    expect(outcomes).toEqual(['allowed', 'allowed', 'limited']);
  });

  it('when Redis answers again, then decisions come from Redis without a restart', async () => {
    const l = limiterFor([{ name: 'u-back', limit: 5, period: 60, onRedisError: 'closed' }]);
    await new Promise((r) => setTimeout(r, 3200));
    // A 50 ms deadline on a loaded box may still miss once while Redis drains the paused backlog.
    let decision = await call(l);
    for (let i = 0; i < 20 && decision.source !== 'redis'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      decision = await call(l);
    }
    expect(decision).toMatchObject({ outcome: 'allowed', source: 'redis' });
  });

  it('when decisions time out while Redis is paused, then Redis spends no quota for them when it resumes', async () => {
    const l = limiterFor([{ name: 'u-late', limit: 5, period: 60, onRedisError: 'open' }]);
    const remaining = (d: Awaited<ReturnType<typeof call>>) => d.policies[0]?.remaining;
    // One answered decision teaches the store the server's clock.
    const first = await call(l);
    expect(first).toMatchObject({ source: 'redis', outcome: 'allowed' });
    expect(remaining(first)).toBe(4);

    await pauseRedis(server.url, 1000);
    // Eight calls while Redis is paused: answered by the failure mode; their scripts wait in the socket.
    for (let i = 0; i < 8; i++) expect((await call(l)).source).toBe('degraded-open');

    // Once Redis resumes it runs the eight scripts; unbounded, they would spend the remaining 4 units and
    // the next call would be limited for a minute. A poll that itself misses the deadline while the
    // backlog drains may or may not have spent its unit, so it is allowed for.
    await new Promise((r) => setTimeout(r, 1100));
    let missed = 0;
    let after = await call(l);
    while (after.source !== 'redis' && missed < 20) {
      missed += 1;
      await new Promise((r) => setTimeout(r, 100));
      after = await call(l);
    }
    expect(after).toMatchObject({ source: 'redis', outcome: 'allowed' });
    expect(remaining(after)).toBeGreaterThanOrEqual(3 - missed);
  });

  it('when Redis is stopped, then decisions fail fast into the failure mode and recover after a restart', async () => {
    const l = limiterFor([{ name: 'u-down', limit: 5, period: 60, onRedisError: 'open' }]);
    await server.stop();
    try {
      const down = await timed(() => call(l));
      expect(down.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      expect(down.value.source).toBe('degraded-open');
    } finally {
      await server.start();
    }
    await waitForReady(redis, 10000);
    expect((await call(l)).source).toBe('redis');
  });
});
