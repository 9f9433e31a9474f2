import { type RedisCluster, type RedisServer, startRedisCluster, startRedisServer } from '@redwire/testing';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicySet } from '../../src/ratelimit/policy-set';
import { RateLimitStore } from '../../src/ratelimit/ratelimit.store';
import { testKeys } from '../support/test-keys';

// Own servers: flushing the shared ones' script caches would disturb other packages' tests.
let server: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedisServer(), startRedisCluster(3)]);
}, 60000);
afterAll(async () => {
  await Promise.all([server?.stop(), cluster?.stop()]);
});

const targets = [
  { name: 'standalone', connect: () => new Redis(server.url, { maxRetriesPerRequest: 1 }) },
  {
    name: 'cluster',
    connect: () => new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } }),
  },
];

describe.each(targets)('SCRIPT FLUSH on $name Redis', (target) => {
  it('when every script cache is flushed mid-load, then no decision fails and nothing is counted twice', async () => {
    const redis = target.connect();
    try {
      // A generous deadline: this is about counting, and the CPU is shared with other suites.
      const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: 10000 });
      const set = new PolicySet([
        { name: 'per-user', identity: 'user', algorithm: 'gcra', limit: 300, period: 3600 },
        { name: 'per-ip', identity: 'ip', algorithm: 'sliding-window', limit: 1000, period: 3600 },
        { name: 'all', identity: 'global', algorithm: 'fixed-window', limit: 1000, period: 3600 },
      ]);
      const facts = (i: number) => ({
        method: 'GET',
        path: '/',
        ipKey: '203.0.113.50',
        user: { id: `u${i % 3}`, tier: 'free' },
      });
      // Warm up so the cluster client knows its nodes and every node has the script cached.
      await Promise.all(
        [0, 1, 2].map((i) => store.decide(set.checksFor(facts(i)).map((c) => ({ ...c, cost: 0 })))),
      );
      const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
      let admitted = 0;
      let errors = 0;
      let next = 0;
      const worker = async () => {
        while (next < 1200) {
          const i = next++;
          if (i === 400 || i === 800) await Promise.all(nodes.map((n) => n.script('FLUSH')));
          try {
            if ((await store.decide(set.checksFor(facts(i)))).admitted) admitted++;
          } catch {
            errors++;
          }
        }
      };
      await Promise.all(Array.from({ length: 50 }, worker));
      const noscript = await Promise.all(nodes.map((n) => n.info('errorstats')));
      expect(noscript.join('\n')).toMatch(/errorstat_NOSCRIPT:count=[1-9]/);
      expect(errors).toBe(0);
      expect(admitted).toBe(900);
      const left = await store.decide(set.checksFor(facts(0)).map((c) => ({ ...c, cost: 0 })));
      expect(left.results.map((r) => r.remaining)).toEqual([0, 1000 - 900, 1000 - 900]);
    } finally {
      redis.disconnect();
    }
  });
});
