import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideScript } from '../src/limiter-scripts';
import { peek, TestPolicies, testStore } from './support/test-policies';

// A server of its own: the assertions count this server's script calls.
describe('rate-limit store on a single node: decisions of one event-loop turn share a script call', () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
    // Loaded up front, so a first call's NOSCRIPT + EVAL does not count twice.
    await redis.script('LOAD', decideScript.lua);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });
  beforeEach(async () => {
    await redis.config('RESETSTAT');
  });

  async function scriptCalls(): Promise<number> {
    const stats = await redis.info('commandstats');
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return calls('evalsha') + calls('eval');
  }

  const policies = new TestPolicies([
    { name: 'per-user', limit: 1, period: 3600 },
    { name: 'per-ip', algorithm: 'sliding-window', limit: 25, period: 3600 },
  ]);
  const fromIp = (ip: string, user: string) => policies.checks({ 'per-user': user, 'per-ip': `i.${ip}` });

  it('when 40 requests arrive in one turn with maxBatch 16, then Redis sees 3 calls and each request is decided on its own', async () => {
    const store = testStore(redis, { maxBatch: 16 });
    // 20 users, each asking twice, all behind one IP allowing 25: per-user limit 1 admits one of each pair.
    const requests = Array.from({ length: 40 }, (_, i) => fromIp('192.0.2.1', `u${i % 20}`));
    const decisions = await Promise.all(requests.map((checks) => store.decide(checks)));
    expect(await scriptCalls()).toBe(3);
    // The second request of each user sits in the same or a later batch and sees the first one's spend.
    for (let user = 0; user < 20; user++) {
      const pair = [decisions[user], decisions[user + 20]];
      expect(pair.filter((d) => d?.admitted)).toHaveLength(1);
    }
    // The IP policy spent exactly the admitted requests (a refused request spends nothing, all-or-nothing).
    const probe = await store.decide(peek(fromIp('192.0.2.1', 'nobody')));
    expect(probe.results[1]?.remaining).toBe(25 - 20);
    expect(new Set(decisions.map((d) => d.timeUs)).size).toBeLessThanOrEqual(3);
  });

  it('when maxBatch is 1, then every request is its own call', async () => {
    const store = testStore(redis, { maxBatch: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.decide(fromIp('192.0.2.2', `v${i}`))));
    expect(await scriptCalls()).toBe(10);
  });

  it('when requests arrive in separate turns, then each goes alone instead of waiting for company', async () => {
    const store = testStore(redis);
    for (let i = 0; i < 5; i++) {
      expect((await store.decide(fromIp('192.0.2.3', `w${i}`))).admitted).toBe(true);
    }
    expect(await scriptCalls()).toBe(5);
  });

  it('when the batch call fails, then every decision of the batch rejects with the store error', async () => {
    const broken = new Redis(server.url, { maxRetriesPerRequest: 1, lazyConnect: true });
    const store = testStore(broken, { deadlineMs: 200 });
    broken.disconnect();
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.decide(fromIp('192.0.2.4', `x${i}`))),
    );
    expect(settled.map((s) => s.status)).toEqual(Array(5).fill('rejected'));
    for (const s of settled)
      expect((s as PromiseRejectedResult).reason).toMatchObject({ name: 'RateLimitStoreError' });
  });
});
