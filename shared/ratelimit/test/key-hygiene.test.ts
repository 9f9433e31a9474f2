import { randomUUID } from 'node:crypto';
import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../src';
import { RateLimitKeys } from '../src/rate-limit-keys';
import { RateLimitStore } from '../src/rate-limit-store';
import { testKeys } from './support/test-keys';
import { TestPolicies, testStore } from './support/test-policies';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let redis: Redis;
beforeAll(() => {
  redis = new Redis(sharedServers().redisUrl);
});
afterAll(() => redis.quit());

/** Counts the keys under `prefix` and those without a TTL; `unlink` then removes them (the server is shared). */
async function keysWithTtl(prefix: string, unlink = false): Promise<{ keys: number; withoutTtl: number }> {
  let keys = 0;
  let withoutTtl = 0;
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.pttl(key);
    if (unlink) pipeline.unlink(...batch);
    const ttls = ((await pipeline.exec()) ?? []).slice(0, batch.length);
    keys += batch.length;
    withoutTtl += ttls.filter(([, ttl]) => Number(ttl) < 0).length;
  } while (cursor !== '0');
  return { keys, withoutTtl };
}

describe('limiter keys in Redis', () => {
  it('when 100k distinct identities were limited, then every limiter key has a TTL', async () => {
    const keys = testKeys();
    const store = new RateLimitStore({ redis, keys, deadlineMs: 5000, maxBatch: 16 });
    const set = new TestPolicies([
      { name: 'u', algorithm: 'gcra', limit: 5, period: 3600 },
      { name: 'i', algorithm: 'sliding-window', limit: 5, period: 3600 },
      { name: 'f', algorithm: 'fixed-window', limit: 5, period: 3600 },
      { name: 'g', algorithm: 'gcra', limit: 1_000_000, period: 3600 },
    ]);
    const total = 100_000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const ip = `i.10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        await store.decide(set.checks({ u: `user-${i}`, i: ip, f: ip, g: 'g' }));
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));
    const { keys: found, withoutTtl } = await keysWithTtl(keys.prefix, true);
    // Fixed-window keys expire at the top of the hour, should the test straddle it; the others outlive it.
    expect(found).toBeGreaterThanOrEqual(2 * total + 1);
    expect(found).toBeLessThanOrEqual(3 * total + 1);
    expect(withoutTtl).toBe(0);
  }, 120000);

  it('when the same identity is limited across several windows, then it keeps exactly one key per policy', async () => {
    const keys = testKeys();
    const store = new RateLimitStore({ redis, keys, deadlineMs: 2000, maxBatch: 16 });
    const set = new TestPolicies([
      { name: 'gcra', limit: 10, period: 1 },
      { name: 'sliding', algorithm: 'sliding-window', limit: 10, period: 1 },
      { name: 'fixed', algorithm: 'fixed-window', limit: 10, period: 1 },
    ]);
    const checks = set.checks('bob');
    const names = new Set<string>();
    for (let i = 0; i < 3; i++) {
      await store.decide(checks);
      for (const c of checks) names.add(store.key(c));
      await sleep(1100);
    }
    expect(names.size).toBe(3);
    expect((await keysWithTtl(keys.prefix)).keys).toBeLessThanOrEqual(3);
  });

  it('when a UUID identity is limited by a GCRA policy under the default prefix, then its key has at most 48 characters and costs at most 110 bytes', async () => {
    // Measured on a single node: cluster mode adds Redis's own per-key slot bookkeeping (16 bytes on 7.0).
    // The default prefix (no test namespace); a random UUID keeps the key unique.
    const client: RedisClient = createRedisClient({
      url: sharedServers().redisUrl,
      service: 'ratelimit-test',
    });
    await waitForReady(client);
    const limiter = new RateLimiter({
      redis: client,
      policies: [{ name: 'user-free', limit: 10, period: 1 }],
    });
    try {
      const user = randomUUID();
      const key = limiter.keyOf('user-free', user);
      expect(key.length).toBeLessThanOrEqual(48);
      expect((await limiter.limit(user)).source).toBe('redis');
      expect(Number(await redis.call('MEMORY', 'USAGE', key))).toBeLessThanOrEqual(110);
    } finally {
      limiter.close();
      client.disconnect();
    }
  });

  it('when a store decides, then its keys are the ones RateLimitKeys builds', () => {
    const keys = testKeys();
    const store = testStore(redis);
    const check = new TestPolicies([{ name: 'p', limit: 1, period: 1 }]).checks('carol')[0];
    expect(check && store.key(check)).toMatch(/:ratelimit:\{carol\}:p$/);
    expect(keys.state(keys.identity('carol'), 'p')).toBe(`${keys.prefix}:{carol}:p`);
  });
});

describe('RateLimitKeys', () => {
  const keys = new RateLimitKeys('app:rl');

  it('when a key holds the separator, braces, % or whitespace, then they are encoded and cannot pick the slot', () => {
    expect(keys.state(keys.identity('a:b{c}d%e f'), 'p')).toBe('app:rl:{a%3Ab%7Bc%7Dd%25e%20f}:p');
    expect(keys.identity('x}:{y')).not.toContain('}');
  });

  it('when a key is a UUID in either case, then it is stored as %u plus its 16 bytes in base64url', () => {
    const uuid = '0193a0c2-7a3b-7cde-8f01-23456789abcd';
    expect(keys.identity(uuid)).toBe(
      `%u${Buffer.from(uuid.replaceAll('-', ''), 'hex').toString('base64url')}`,
    );
    expect(keys.identity(uuid.toUpperCase())).toBe(keys.identity(uuid));
    expect(keys.identity(uuid)).toHaveLength(24);
  });

  it('when a key is longer than 64 characters once encoded, then it is stored as %h plus its SHA-256, and distinct keys stay distinct', () => {
    const long = 'k'.repeat(10_000);
    expect(keys.identity(long)).toMatch(/^%h[A-Za-z0-9_-]{43}$/);
    expect(keys.identity(`${long}x`)).not.toBe(keys.identity(long));
    // 30 spaces encode to 90 characters.
    expect(keys.identity(' '.repeat(30))).toMatch(/^%h/);
    expect(keys.identity('k'.repeat(64))).toBe('k'.repeat(64));
  });

  it("when a caller's key spells another key's stored form, then it is encoded and cannot reach that state", () => {
    const uuid = '0193a0c2-7a3b-7cde-8f01-23456789abcd';
    const forged = keys.identity(uuid);
    expect(keys.identity(forged)).not.toBe(forged);
    const hashed = keys.identity('k'.repeat(100));
    expect(keys.identity(hashed)).not.toBe(hashed);
  });

  it('when a key is empty or not a string, then it is refused', () => {
    expect(() => keys.identity('')).toThrow(TypeError);
    expect(() => keys.identity(42 as unknown as string)).toThrow(TypeError);
  });
});
