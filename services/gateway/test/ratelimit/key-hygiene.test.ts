import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Keyspace } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/ratelimit/default-policies';
import { type PolicyCheck, PolicySet } from '../../src/ratelimit/policy-set';
import { rateLimitKey } from '../../src/ratelimit/ratelimit.keys';
import { RateLimitStore } from '../../src/ratelimit/ratelimit.store';
import { testKeys } from '../support/test-keys';

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

describe('limiter keys', () => {
  it('when 100k distinct identities were limited, then every limiter key has a TTL', async () => {
    const keys = testKeys();
    const prefix = keys.prefix;
    const store = new RateLimitStore({ redis, keys, deadlineMs: 5000 });
    const set = new PolicySet([
      { name: 'u', identity: 'user', algorithm: 'gcra', limit: 5, period: 3600 },
      { name: 'i', identity: 'ip', algorithm: 'sliding-window', limit: 5, period: 3600 },
      { name: 'f', identity: 'ip', algorithm: 'fixed-window', limit: 5, period: 3600 },
      { name: 'g', identity: 'global', algorithm: 'gcra', limit: 1_000_000, period: 3600 },
    ]);
    const total = 100_000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        await store.decide(
          set.checksFor({ method: 'GET', path: '/', ipKey: ip, user: { id: `user-${i}`, tier: 'free' } }),
        );
      }
    };
    await Promise.all(Array.from({ length: 200 }, worker));
    const { keys: found, withoutTtl } = await keysWithTtl(prefix, true);
    // Fixed-window keys expire at the top of the hour, should the test straddle it; the others outlive it.
    expect(found).toBeGreaterThanOrEqual(2 * total + 1);
    expect(found).toBeLessThanOrEqual(3 * total + 1);
    expect(withoutTtl).toBe(0);
  }, 120000);

  it('when the same identity is limited across several windows, then it keeps exactly one key per policy', async () => {
    const keys = testKeys();
    const prefix = keys.prefix;
    const store = new RateLimitStore({ redis, keys, deadlineMs: 2000 });
    const set = new PolicySet([
      { name: 'gcra', identity: 'user', limit: 10, period: 1 },
      { name: 'sliding', identity: 'user', algorithm: 'sliding-window', limit: 10, period: 1 },
      { name: 'fixed', identity: 'user', algorithm: 'fixed-window', limit: 10, period: 1 },
    ]);
    const checks = set.checksFor({
      method: 'GET',
      path: '/',
      ipKey: '192.0.2.1',
      user: { id: 'bob', tier: 'free' },
    });
    const names = new Set<string>();
    for (let i = 0; i < 3; i++) {
      await store.decide(checks);
      checks.forEach((c: PolicyCheck) => {
        names.add(store.key(c));
      });
      await sleep(1100);
    }
    expect(names.size).toBe(3);
    expect((await keysWithTtl(prefix)).keys).toBeLessThanOrEqual(3);
  });

  it('when a GCRA key name has at most 48 characters, then it costs at most 110 bytes', async () => {
    // Measured on a single node: cluster mode adds Redis's own per-key slot bookkeeping (16 bytes on 7.0).
    // The production keyspace (no test namespace); a random user id keeps the key unique.
    const store = new RateLimitStore({ redis, keys: new Keyspace({ service: 'gateway' }) });
    const set = new PolicySet([
      { name: 'user-free', identity: 'user', tiers: ['free'], limit: 10, period: 1 },
    ]);
    const checks = set.checksFor({
      method: 'GET',
      path: '/',
      ipKey: '::1',
      user: { id: randomUUID(), tier: 'free' },
    });
    const key = store.key(checks[0] as PolicyCheck);
    expect(key.length).toBeLessThanOrEqual(48);
    await store.decide(checks);
    expect(Number(await redis.call('MEMORY', 'USAGE', key))).toBeLessThanOrEqual(110);
  });
});

describe('rateLimitKey', () => {
  it('when built for any identity, then it equals what the Keyspace builds for a tagged key', () => {
    const keys = testKeys();
    for (const identity of [
      'u.AZDz5HwtfjqfABI0VnibvA',
      'i.20010db8123456/56',
      'g',
      'u.with:colon{brace}',
      'u.ü ',
    ]) {
      expect(rateLimitKey(keys, identity, 'user-free')).toBe(keys.tagged('rl', identity, 'user-free'));
    }
  });
});

describe('policies.example.json', () => {
  it('when the example file is parsed, then it validates and equals the built-in policies', () => {
    const text = fs.readFileSync(path.join(__dirname, '../../policies.example.json'), 'utf8');
    expect(PolicySet.fromJson(text).policies.map((p) => p.spec)).toEqual(
      new PolicySet(DEFAULT_POLICIES).policies.map((p) => p.spec),
    );
  });
});
