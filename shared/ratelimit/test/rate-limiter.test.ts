import { InvalidOptionsError, type RedisClient } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { parseList } from 'structured-headers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PolicyOptions, RateLimiter, type RateLimiterOptions, rateLimitHeaders } from '../src';
import type { CheckResult } from '../src/algorithms';
import { redisTargets } from './support/redis-targets';
import { ReferenceModel } from './support/reference-model';
import { testPrefix } from './support/test-keys';
import { TestPolicies } from './support/test-policies';

afterEach(() => {
  vi.useRealTimers();
});

/** The public form of a model result (µs → whole ms, rounded up; never → Infinity). */
const publicForm = (r: CheckResult) => ({
  status: r.status,
  remaining: r.remaining,
  resetMs: r.waitUs < 0 ? Number.POSITIVE_INFINITY : Math.ceil(r.waitUs / 1000),
});

describe.each(redisTargets())('RateLimiter on $name Redis', (target) => {
  let redis: RedisClient;
  const limiters: RateLimiter[] = [];
  beforeAll(async () => {
    redis = await target.connectRequestClient();
  });
  afterAll(() => {
    for (const l of limiters) l.close();
    redis.disconnect();
  });

  function limiterFor(policies: PolicyOptions[], options: Partial<RateLimiterOptions> = {}): RateLimiter {
    const limiter = new RateLimiter({ redis, policies, prefix: testPrefix(), deadlineMs: 2000, ...options });
    limiters.push(limiter);
    return limiter;
  }

  it('when a string key is limited, then every policy is evaluated for it and remaining, reset and retry-after follow', async () => {
    const limiter = limiterFor([
      { name: 'burst', limit: 2, period: 10 },
      { name: 'hourly', algorithm: 'sliding-window', limit: 100, period: 3600 },
    ]);
    const first = await limiter.limit('key-1');
    expect(first).toMatchObject({ allowed: true, outcome: 'allowed', source: 'redis', violated: [] });
    expect(first.retryAfterMs).toBeUndefined();
    expect(first.policies.map((p) => [p.policy.name, p.key, p.status, p.remaining])).toEqual([
      ['burst', 'key-1', 'allowed', 1],
      ['hourly', 'key-1', 'allowed', 99],
    ]);
    // GCRA 2 per 10 s: one unit comes back 5 s after it was spent.
    expect(first.policies[0]?.resetMs).toBeGreaterThan(4000);
    expect(first.policies[0]?.resetMs).toBeLessThanOrEqual(5000);
    await limiter.limit('key-1');
    const third = await limiter.limit('key-1');
    expect(third).toMatchObject({ allowed: false, outcome: 'limited', violated: ['burst'] });
    expect(third.policies.map((p) => [p.status, p.remaining])).toEqual([
      ['denied', 0],
      ['allowed', 98],
    ]);
    expect(third.retryAfterMs).toBe(third.policies[0]?.resetMs);
    expect((await limiter.limit('key-2')).allowed).toBe(true);
  });

  it('when a call names policies with their own keys, then only those are evaluated, all-or-nothing, in declaration order', async () => {
    const limiter = limiterFor(
      [
        { name: 'per-user', limit: 1, period: 3600 },
        { name: 'per-ip', limit: 100, period: 3600 },
        { name: 'login', limit: 5, period: 60 },
      ],
      { denyCacheSize: 0 },
    );
    const call = { 'per-ip': '192.0.2.1', 'per-user': 'ada' };
    expect((await limiter.limit(call)).policies.map((p) => [p.policy.name, p.key])).toEqual([
      ['per-user', 'ada'],
      ['per-ip', '192.0.2.1'],
    ]);
    const refused = await limiter.limit(call);
    expect(refused.violated).toEqual(['per-user']);
    // The refused call spent nothing on the per-IP policy.
    expect(refused.policies[1]?.remaining).toBe(99);
    const peek = await limiter.limit({ 'per-ip': '192.0.2.1' }, { cost: 0 });
    expect(peek.policies.map((p) => [p.policy.name, p.remaining])).toEqual([['per-ip', 99]]);
  });

  it('when a call costs more than a burst, then it is refused as unsatisfiable with no retry-after and spends nothing', async () => {
    const limiter = limiterFor([{ name: 'b', limit: 10, period: 60, burst: 4 }]);
    const decision = await limiter.limit('big', { cost: 5 });
    expect(decision).toMatchObject({ allowed: false, outcome: 'limited', violated: ['b'] });
    expect(decision.policies[0]).toMatchObject({ status: 'unsatisfiable', remaining: 4, resetMs: Infinity });
    expect(decision.retryAfterMs).toBeUndefined();
    expect(rateLimitHeaders(decision)['Retry-After']).toBeUndefined();
    expect((await limiter.limit('big', { cost: 4 })).allowed).toBe(true);
  });

  it('when a call passes a bad key, policy name or cost, then it rejects with the reason and nothing is decided', async () => {
    const limiter = limiterFor([{ name: 'p', limit: 1, period: 1 }]);
    await expect(limiter.limit('')).rejects.toThrow(/non-empty string/);
    await expect(limiter.limit(undefined as unknown as string)).rejects.toThrow(TypeError);
    await expect(limiter.limit({ q: 'x' })).rejects.toThrow(/no rate-limit policy named "q"/);
    await expect(limiter.limit('x', { cost: 1.5 })).rejects.toThrow(RangeError);
    await expect(limiter.limit('x', { cost: -1 })).rejects.toThrow(RangeError);
    expect(() => limiter.keyOf('q', 'x')).toThrow(RangeError);
    expect((await limiter.limit('x', { cost: 0 })).policies[0]?.remaining).toBe(1);
  });

  it('when an identity is over its limit, then repeated calls are denied from the deny cache without a Redis call', async () => {
    const registry = new Registry();
    const limiter = limiterFor([{ name: 'tight', limit: 2, period: 60 }], {
      registry,
      metricPrefix: 'app_rl',
    });
    await limiter.limit('carol');
    await limiter.limit('carol');
    const first = await limiter.limit('carol');
    expect(first).toMatchObject({ outcome: 'limited', source: 'redis', violated: ['tight'] });
    const scripts = vi.spyOn(redis, 'evalsha');
    const again = await limiter.limit('carol');
    expect(scripts).not.toHaveBeenCalled();
    scripts.mockRestore();
    expect(again).toMatchObject({ outcome: 'limited', source: 'deny-cache', violated: ['tight'] });
    const headers = rateLimitHeaders(again);
    expect(headers['Retry-After']).toBe(rateLimitHeaders(first)['Retry-After']);
    expect(headers.RateLimit).toMatch(/^"tight";r=0;t=\d+$/);
    expect(await registry.getSingleMetricAsString('app_rl_deny_cache_hits_total')).toContain(
      'policy="tight"} 1',
    );
  });

  it('when a shadow policy would deny, then the call passes, the policy stays out of the headers, and the metric says shadow', async () => {
    const registry = new Registry();
    const limiter = limiterFor(
      [
        { name: 'enforced', limit: 100, period: 60 },
        { name: 'candidate', limit: 1, period: 3600, shadow: true },
      ],
      { registry },
    );
    await limiter.limit('dan');
    const decision = await limiter.limit('dan');
    expect(decision).toMatchObject({ allowed: true, outcome: 'allowed', violated: [] });
    const headers = rateLimitHeaders(decision);
    expect(headers['RateLimit-Policy']).toBe('"enforced";q=100;w=60');
    expect(headers.RateLimit).not.toContain('candidate');
    const text = await registry.getSingleMetricAsString('ratelimit_decisions_total');
    expect(text).toContain('policy="candidate",outcome="shadow"} 1');
  });

  it('when the cached deny expires, then the next call goes to Redis again', async () => {
    let now = 1_000_000;
    const limiter = limiterFor([{ name: 'fast', limit: 20, period: 1, burst: 1 }], { clock: () => now });
    await limiter.limit('erin');
    expect((await limiter.limit('erin')).source).toBe('redis');
    now += 60;
    const scripts = vi.spyOn(redis, 'evalsha');
    expect((await limiter.limit('erin')).source).toBe('redis');
    expect(scripts).toHaveBeenCalledTimes(1);
    scripts.mockRestore();
  });

  it('when several policies apply, then both header fields parse as RFC 9651 lists with the same names, r >= 0 and Retry-After >= every violated t', async () => {
    const limiter = limiterFor(
      [
        { name: 'per-user', limit: 3, period: 10 },
        { name: 'per-ip', algorithm: 'sliding-window', limit: 100, period: 60 },
        { name: 'hidden', limit: 1, period: 60, shadow: true },
      ],
      { denyCacheSize: 0 },
    );
    const call = { 'per-user': 'frank', 'per-ip': '192.0.2.10', hidden: 'g' };
    let decision = await limiter.limit(call);
    for (let i = 0; i < 4; i++) decision = await limiter.limit(call);
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

  it('when users behind one IP race through the limiter with the deny cache off, then the IP counter grows by exactly the admitted calls', async () => {
    const limiter = limiterFor(
      [
        { name: 'per-user', limit: 10, period: 3600 },
        { name: 'per-ip', algorithm: 'sliding-window', limit: 100, period: 3600 },
      ],
      { denyCacheSize: 0 },
    );
    const attempts = Array.from({ length: 300 }, (_, i) => `racer-${i % 25}`);
    const decisions = await Promise.all(
      attempts.map((user) => limiter.limit({ 'per-user': user, 'per-ip': '192.0.2.20' })),
    );
    const admitted = decisions.filter((d) => d.allowed).length;
    expect(decisions.every((d) => d.source === 'redis')).toBe(true);
    expect(admitted).toBe(100);
    const ip = await limiter.limit({ 'per-ip': '192.0.2.20' }, { cost: 0 });
    expect(ip.policies[0]?.remaining).toBe(100 - admitted);
  });

  it('when two instances with application clocks 30 s ahead and 30 s behind share the limits, then they decide exactly like the reference model fed Redis time', async () => {
    const policies: PolicyOptions[] = [
      { name: 'g', limit: 10, period: 1, burst: 3 },
      { name: 's', algorithm: 'sliding-window', limit: 6, period: 1 },
    ];
    const prefix = testPrefix();
    const realNow = () => performance.timeOrigin + performance.now();
    const instances = [+30_000, -30_000].map((skew) => ({
      skew,
      limiter: limiterFor(policies, { prefix, denyCacheSize: 0, clock: () => realNow() + skew }),
    }));
    const set = new TestPolicies(policies);
    // One key for both policies: on a cluster, one node's clock decides them (what the model is fed).
    const call = 'gina';
    const model = new ReferenceModel();
    vi.useFakeTimers({ toFake: ['Date'] });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 120; i++) {
      const instance = instances[i % 2] as (typeof instances)[number];
      vi.setSystemTime(realNow() + instance.skew);
      const decision = await instance.limiter.limit(call);
      const expected = model.decide(set.checks(call), decision.redisTimeUs as number);
      expect(
        decision.policies.map(({ status, remaining, resetMs }) => ({ status, remaining, resetMs })),
      ).toEqual(expected.results.map(publicForm));
      expect(decision.allowed).toBe(expected.admitted);
      outcomes.push(expected.admitted);
      await new Promise((r) => setImmediate(r));
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 60));
    }
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(5);
    expect(outcomes.filter((o) => !o).length).toBeGreaterThan(5);
  });
});

describe('RateLimiter options', () => {
  const servers = () => sharedServers();
  const policies: PolicyOptions[] = [{ name: 'p', limit: 1, period: 1 }];
  const issues = (make: () => unknown): string[] => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionsError);
      return [...(error as InvalidOptionsError).issues];
    }
    throw new Error('no error thrown');
  };

  it('when an option is invalid, then the constructor lists every problem at once', () => {
    const plain = new Redis(servers().redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    });
    const found = issues(
      () =>
        new RateLimiter({
          redis: plain,
          policies: [
            { name: 'Bad Name', limit: 0, period: 1 },
            { name: 'w', algorithm: 'fixed-window', limit: 5, period: 1, burst: 9 },
            { name: 'w', limit: 1, period: 1, cost: 2 },
          ],
          prefix: 'a{b}',
          deadlineMs: 0,
          maxBatch: 1.5,
          denyCacheSize: -1,
          breaker: { windowMs: 1000, windowBuckets: 3 },
          metricPrefix: 'bad-name',
          unknown: true,
        } as unknown as RateLimiterOptions),
    );
    const joined = found.join('\n');
    for (const field of [
      'policies.0.name',
      'policies.0.limit',
      'policies.1.burst',
      'policies.2.cost',
      'policies.2.name',
      'prefix',
      'deadlineMs',
      'maxBatch',
      'denyCacheSize',
      'breaker',
      'metricPrefix',
    ]) {
      expect(joined).toContain(`${field}:`);
    }
    expect(joined).toMatch(/Unrecognized key.*unknown/);
    plain.disconnect();
  });

  it('when the client could queue or re-send a decision, then it is refused with the settings to change', () => {
    const defaults = new Redis(servers().redisUrl, { lazyConnect: true });
    expect(issues(() => new RateLimiter({ redis: defaults, policies }))).toEqual([
      'redis: enableOfflineQueue must be false (a re-sent decision would spend quota twice)',
      'redis: autoResendUnfulfilledCommands must be false (a re-sent decision would spend quota twice)',
    ]);
    defaults.disconnect();
    const cluster = new Cluster(servers().clusterNodes, { lazyConnect: true });
    expect(issues(() => new RateLimiter({ redis: cluster, policies })).map((i) => i.split(' ')[1])).toEqual([
      'enableOfflineQueue',
      'retryDelayOnFailover',
      'redisOptions.autoResendUnfulfilledCommands',
    ]);
    cluster.disconnect();
    expect(issues(() => new RateLimiter({ redis: {} as RedisClient, policies }))).toEqual([
      'redis: must be an ioredis Redis or Cluster client (createRedisClient)',
    ]);
  });

  it('when a plain ioredis client fails fast and never re-sends, then it is accepted', () => {
    const plain = new Redis(servers().redisUrl, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
    });
    const cluster = new Cluster(servers().clusterNodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      retryDelayOnFailover: 0,
      redisOptions: { autoResendUnfulfilledCommands: false },
    });
    for (const redis of [plain, cluster]) {
      const limiter = new RateLimiter({ redis, policies });
      expect(limiter.policies).toEqual([
        { name: 'p', algorithm: 'gcra', limit: 1, period: 1, cost: 1, shadow: false, onRedisError: 'local' },
      ]);
      limiter.close();
      redis.disconnect();
    }
  });
});
