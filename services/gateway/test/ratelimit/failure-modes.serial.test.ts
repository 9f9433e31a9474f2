import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { pauseRedis, type RedisServer, startRedisServer } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicySet, RateLimiter, type RequestFacts, rateLimitHeaders } from '../../src/ratelimit';
import { RateLimitStore } from '../../src/ratelimit/ratelimit.store';
import { testKeys } from '../support/test-keys';

const DEADLINE_MS = 50;
// The CPU is shared with other suites: the margin covers timer lateness, not extra waiting by the code
// (the pause lasts 3 s).
const MARGIN_MS = 200;
const facts: RequestFacts = {
  method: 'GET',
  path: '/users/1',
  ipKey: '192.0.2.99',
  user: { id: 'dave', tier: 'free' },
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

function limiter(policies: ConstructorParameters<typeof PolicySet>[0], instances = 1) {
  const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: DEADLINE_MS });
  return { set: new PolicySet(policies), limiter: new RateLimiter({ store, instances }) };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

describe('failure modes while Redis is paused', () => {
  it('when Redis does not answer, then every decision returns within the deadline and follows its policy failure mode', async () => {
    const open = limiter([{ name: 'o', identity: 'user', limit: 5, period: 60, onRedisError: 'open' }]);
    const closed = limiter([
      { name: 'o', identity: 'user', limit: 5, period: 60, onRedisError: 'open' },
      { name: 'c', identity: 'ip', limit: 5, period: 60, onRedisError: 'closed' },
    ]);
    const local = limiter(
      [
        { name: 'l', identity: 'user', limit: 6, period: 60, onRedisError: 'local' },
        { name: 'o', identity: 'ip', limit: 1, period: 60, onRedisError: 'open' },
      ],
      3,
    );
    await pauseRedis(server.url, 3000);

    const a = await timed(() => open.limiter.decide(open.set.checksFor(facts)));
    expect(a.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(a.value).toMatchObject({ outcome: 'allowed', source: 'degraded-open' });
    expect(rateLimitHeaders(a.value)).toEqual({ 'RateLimit-Mode': 'degraded-open' });

    const b = await timed(() => closed.limiter.decide(closed.set.checksFor(facts)));
    expect(b.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(b.value).toMatchObject({ outcome: 'unavailable', source: 'degraded-closed' });

    // 6 per minute over 3 instances: this instance admits 2, then refuses.
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const c = await timed(() => local.limiter.decide(local.set.checksFor(facts)));
      expect(c.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      expect(c.value.source).toBe('degraded-local');
      outcomes.push(c.value.outcome);
      const headers = rateLimitHeaders(c.value);
      expect(headers['RateLimit-Mode']).toBe('degraded-local');
      expect(headers['RateLimit-Policy']).toBe('"l";q=6;w=60');
    }
    expect(outcomes).toEqual(['allowed', 'allowed', 'limited']);
  });

  it('when Redis answers again, then decisions come from Redis without a restart', async () => {
    const { set, limiter: l } = limiter([
      { name: 'back', identity: 'user', limit: 5, period: 60, onRedisError: 'closed' },
    ]);
    await new Promise((r) => setTimeout(r, 3200));
    // A 50 ms deadline on a loaded box may still miss once while Redis drains the paused backlog.
    let decision = await l.decide(set.checksFor(facts));
    for (let i = 0; i < 20 && decision.source !== 'redis'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      decision = await l.decide(set.checksFor(facts));
    }
    expect(decision).toMatchObject({ outcome: 'allowed', source: 'redis' });
  });

  it('when Redis is stopped, then decisions fail fast into the failure mode and recover after a restart', async () => {
    const { set, limiter: l } = limiter([
      { name: 'down', identity: 'user', limit: 5, period: 60, onRedisError: 'open' },
    ]);
    await server.stop();
    try {
      const down = await timed(() => l.decide(set.checksFor(facts)));
      expect(down.ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
      expect(down.value.source).toBe('degraded-open');
    } finally {
      await server.start();
    }
    await waitForReady(redis, 10000);
    expect((await l.decide(set.checksFor(facts))).source).toBe('redis');
  });
});
