import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { parseList } from 'structured-headers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PolicyInput, PolicySet, type RequestFacts } from '../../src/ratelimit';
import { RateLimiter } from '../../src/ratelimit/rate-limiter';
import { rateLimitHeaders } from '../../src/ratelimit/ratelimit.headers';
import { RateLimitMetrics } from '../../src/ratelimit/ratelimit.metrics';
import { RateLimitStore } from '../../src/ratelimit/ratelimit.store';
import { ReferenceModel } from '../support/reference-model';
import { testKeys } from '../support/test-keys';

const facts: RequestFacts = {
  method: 'GET',
  path: '/users/1',
  ipKey: '192.0.2.10',
  user: { id: 'carol', tier: 'free' },
};

let redis: Redis;
beforeAll(() => {
  redis = new Redis(sharedServers().redisUrl, { maxRetriesPerRequest: 0 });
});
afterAll(() => redis.quit());
afterEach(() => {
  vi.useRealTimers();
});

function limiterFor(
  policies: PolicyInput[],
  options: { denyCache?: false; clock?: () => number; registry?: Registry } = {},
) {
  const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: 2000 });
  const metrics = options.registry ? new RateLimitMetrics(options.registry) : undefined;
  return {
    store,
    set: new PolicySet(policies),
    limiter: new RateLimiter({ store, metrics, denyCache: options.denyCache, clock: options.clock }),
  };
}

describe('RateLimiter', () => {
  it('when an identity is over its limit, then repeated requests are denied from the cache without a Redis call', async () => {
    const registry = new Registry();
    const { store, set, limiter } = limiterFor([{ name: 'tight', identity: 'user', limit: 2, period: 60 }], {
      registry,
    });
    const checks = set.checksFor(facts);
    await limiter.decide(checks);
    await limiter.decide(checks);
    const first = await limiter.decide(checks);
    expect(first).toMatchObject({ outcome: 'limited', source: 'redis', violated: ['tight'] });
    const spy = vi.spyOn(store, 'decide');
    const again = await limiter.decide(checks);
    expect(spy).not.toHaveBeenCalled();
    expect(again).toMatchObject({ outcome: 'limited', source: 'deny-cache', violated: ['tight'] });
    const headers = rateLimitHeaders(again);
    expect(headers['Retry-After']).toBe(rateLimitHeaders(first)['Retry-After']);
    expect(headers.RateLimit).toMatch(/^"tight";r=0;t=\d+$/);
    expect(await registry.getSingleMetricAsString('gateway_ratelimit_deny_cache_hits_total')).toContain(
      'policy="tight"} 1',
    );
  });

  it('when a shadow policy would deny, then the request passes, the policy stays out of the headers, and the metric says shadow', async () => {
    const registry = new Registry();
    const { set, limiter } = limiterFor(
      [
        { name: 'enforced', identity: 'user', limit: 100, period: 60 },
        { name: 'candidate', identity: 'user', limit: 1, period: 3600, shadow: true },
      ],
      { registry },
    );
    const checks = set.checksFor(facts);
    await limiter.decide(checks);
    const decision = await limiter.decide(checks);
    expect(decision).toMatchObject({ outcome: 'allowed', violated: [] });
    const headers = rateLimitHeaders(decision);
    expect(headers['RateLimit-Policy']).toBe('"enforced";q=100;w=60');
    expect(headers.RateLimit).not.toContain('candidate');
    const text = await registry.getSingleMetricAsString('gateway_ratelimit_decisions_total');
    expect(text).toContain('policy="candidate",outcome="shadow"} 1');
  });

  it('when the cached deny expires, then the next request goes to Redis again', async () => {
    let now = 1_000_000;
    const { store, set, limiter } = limiterFor(
      [{ name: 'fast', identity: 'user', limit: 20, period: 1, burst: 1 }],
      {
        clock: () => now,
      },
    );
    const checks = set.checksFor(facts);
    await limiter.decide(checks);
    expect((await limiter.decide(checks)).source).toBe('redis');
    now += 60;
    const spy = vi.spyOn(store, 'decide');
    expect((await limiter.decide(checks)).source).toBe('redis');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('when several policies apply, then both header fields parse as RFC 9651 lists with the same names, r >= 0 and Retry-After >= every violated t', async () => {
    const { set, limiter } = limiterFor(
      [
        { name: 'per-user', identity: 'user', limit: 3, period: 10 },
        { name: 'per-ip', identity: 'ip', algorithm: 'sliding-window', limit: 100, period: 60 },
        { name: 'hidden', identity: 'global', limit: 1, period: 60, shadow: true },
      ],
      { denyCache: false },
    );
    const checks = set.checksFor(facts);
    let decision = await limiter.decide(checks);
    for (let i = 0; i < 4; i++) decision = await limiter.decide(checks);
    expect(decision.outcome).toBe('limited');
    const headers = rateLimitHeaders(decision);
    const policy = parseList(headers['RateLimit-Policy'] as string);
    const state = parseList(headers.RateLimit as string);
    const names = (list: typeof policy) => list.map(([value]) => value);
    expect(names(policy)).toEqual(['per-user', 'per-ip']);
    expect(names(state)).toEqual(names(policy));
    for (const [, params] of policy) {
      expect(Number.isInteger(params.get('q'))).toBe(true);
      expect(params.get('w')).toBeGreaterThan(0);
    }
    for (const [, params] of state) expect(params.get('r')).toBeGreaterThanOrEqual(0);
    const violatedT = state
      .filter(([name]) => decision.violated.includes(name as string))
      .map(([, p]) => p.get('t') as number);
    expect(violatedT.length).toBe(1);
    expect(Number(headers['Retry-After'])).toBeGreaterThanOrEqual(Math.max(1, ...violatedT));
  });

  it('when users behind one IP race through the limiter with the deny cache off, then the IP counter grows by exactly the admitted requests', async () => {
    const { set, limiter } = limiterFor(
      [
        { name: 'per-user', identity: 'user', limit: 10, period: 3600 },
        { name: 'per-ip', identity: 'ip', algorithm: 'sliding-window', limit: 100, period: 3600 },
      ],
      { denyCache: false },
    );
    const attempts = Array.from({ length: 300 }, (_, i) => `racer-${i % 25}`);
    const decisions = await Promise.all(
      attempts.map((id) => limiter.decide(set.checksFor({ ...facts, user: { id, tier: 'free' } }))),
    );
    const admitted = decisions.filter((d) => d.outcome === 'allowed').length;
    expect(decisions.every((d) => d.source === 'redis')).toBe(true);
    expect(admitted).toBe(100);
    const peek = set
      .checksFor({ ...facts, user: { id: 'observer', tier: 'free' } })
      .map((c) => ({ ...c, cost: 0 }));
    const ip = (await limiter.decide(peek)).verdicts.find((v) => v.check.policy.name === 'per-ip');
    expect(ip?.result.remaining).toBe(100 - admitted);
  });

  it('when two instances with application clocks 30 s ahead and 30 s behind share the limits, then they decide exactly like the reference model fed Redis time', async () => {
    const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: 2000 });
    const set = new PolicySet([
      { name: 'g', identity: 'user', limit: 10, period: 1, burst: 3 },
      { name: 's', identity: 'ip', algorithm: 'sliding-window', limit: 6, period: 1 },
    ]);
    const realNow = () => performance.timeOrigin + performance.now();
    const instances = [+30_000, -30_000].map((skew) => ({
      skew,
      limiter: new RateLimiter({ store, denyCache: false, clock: () => realNow() + skew }),
    }));
    const model = new ReferenceModel();
    vi.useFakeTimers({ toFake: ['Date'] });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 120; i++) {
      const instance = instances[i % 2] as (typeof instances)[number];
      vi.setSystemTime(realNow() + instance.skew);
      const checks = set.checksFor(facts);
      const decision = await instance.limiter.decide(checks);
      const expected = model.decide(checks, decision.redisTimeUs as number);
      expect(decision.verdicts.map((v) => v.result)).toEqual(expected.results);
      expect(decision.outcome === 'allowed').toBe(expected.admitted);
      outcomes.push(expected.admitted);
      await new Promise((r) => setImmediate(r));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 60));
    }
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => !o).length).toBeGreaterThan(5);
  });
});
