import { type RedisCluster, type RedisServer, startRedisCluster, startRedisServer } from '@redwire/launchers';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peek, TestPolicies, testStore } from './support/test-policies';

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
      const store = testStore(redis, { deadlineMs: 10000 });
      const set = new TestPolicies([
        { name: 'per-user', algorithm: 'gcra', limit: 300, period: 3600 },
        { name: 'per-ip', algorithm: 'sliding-window', limit: 1000, period: 3600 },
        { name: 'all', algorithm: 'fixed-window', limit: 1000, period: 3600 },
      ]);
      const checksOf = (i: number) =>
        set.checks({ 'per-user': `u${i % 3}`, 'per-ip': 'i.203.0.113.50', all: 'g' });
      // Warm up so the cluster client knows its nodes and every node has the script cached.
      await Promise.all([0, 1, 2].map((i) => store.decide(peek(checksOf(i)))));
      const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
      let admitted = 0;
      let errors = 0;
      let next = 0;
      const worker = async () => {
        while (next < 1200) {
          const i = next++;
          if (i === 400 || i === 800) await Promise.all(nodes.map((n) => n.script('FLUSH')));
          try {
            if ((await store.decide(checksOf(i))).admitted) admitted++;
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
      const left = await store.decide(peek(checksOf(0)));
      expect(left.results.map((r) => r.remaining)).toEqual([0, 1000 - 900, 1000 - 900]);
    } finally {
      redis.disconnect();
    }
  });
});
