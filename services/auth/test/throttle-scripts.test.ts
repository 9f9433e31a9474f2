import { randomUUID } from 'node:crypto';
import { Keyspace, ScriptReplyError } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoginThrottle } from '../src/throttle/login-throttle';
import {
  decodeFailureRecord,
  decodeLockState,
  decodeSuccess,
  throttleScripts,
} from '../src/throttle/throttle-scripts';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(sharedServers().redisUrl, { lazyConnect: true });
  await redis.connect();
});
afterAll(() => redis.disconnect());

describe('the login throttle scripts', () => {
  it('when each script is loaded with SCRIPT LOAD, then Redis reports the SHA the runner uses', async () => {
    for (const script of Object.values(throttleScripts)) {
      expect(await redis.script('LOAD', script.lua)).toBe(script.sha);
    }
  });

  it('when the replies have the documented shape, then the wrappers name their parts', () => {
    expect(decodeLockState([1500, 'pair'])).toEqual({ remainingMs: 1500, scope: 'pair' });
    expect(decodeLockState([0, 'none'])).toEqual({ remainingMs: 0, scope: 'none' });
    expect(decodeFailureRecord([5, 1000, 5, 0])).toEqual({
      pairFailures: 5,
      pairUntilMs: 1000,
      accountFailures: 5,
      accountUntilMs: 0,
    });
    expect(() => decodeSuccess(1)).not.toThrow();
  });

  it('when a reply has another shape, then the wrapper throws ScriptReplyError instead of passing it on', () => {
    for (const reply of [null, [1500], [1500, 'elsewhere'], ['1500', 'pair'], [-1, 'pair']]) {
      expect(() => decodeLockState(reply)).toThrow(ScriptReplyError);
    }
    for (const reply of [[1, 2, 3], [1, 2, 3, '4'], 'OK', [1, 2, 3, 4.5]]) {
      expect(() => decodeFailureRecord(reply)).toThrow(ScriptReplyError);
    }
    expect(() => decodeSuccess('OK')).toThrow(ScriptReplyError);
  });
});

describe('the login throttle on a Redis Cluster', () => {
  let cluster: Cluster;
  beforeAll(() => {
    cluster = new Cluster(sharedServers().clusterNodes);
  });
  afterAll(() => cluster.disconnect());

  it('when failures, a lock check and a success run against the cluster, then each script finds its keys in one slot and the back-off works as on one node', async () => {
    const throttle = new LoginThrottle({
      redis: cluster,
      keyspace: new Keyspace({ service: 'auth', namespace: `t${randomUUID().slice(0, 8)}` }),
      hmacKey: Buffer.alloc(32, 7),
      backoffAfter: 2,
      baseMs: 60_000,
    });
    // Many emails, so their `{email hmac}` slots land on every master.
    for (let i = 0; i < 12; i++) {
      const email = `ada-${i}@example.com`;
      await throttle.recordFailure(email, '192.0.2.1');
      expect((await throttle.lockedFor(email, '192.0.2.1')).remainingMs).toBe(0);
      expect((await throttle.recordFailure(email, '192.0.2.1')).pairUntilMs).toBeGreaterThan(0);
      expect(await throttle.lockedFor(email, '192.0.2.1')).toMatchObject({ scope: 'pair' });
      await throttle.recordSuccess(email, '192.0.2.2');
      expect((await throttle.lockedFor(email, '192.0.2.2')).remainingMs).toBe(0);
    }
  });
});
