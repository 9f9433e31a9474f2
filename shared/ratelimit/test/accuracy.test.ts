import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyOptions } from '../src/policy';
import { redisTargets } from './support/redis-targets';
import { ReferenceModel } from './support/reference-model';
import { TestPolicies, testStore } from './support/test-policies';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cases: { name: string; policy: Omit<PolicyOptions, 'name'>; costs: number[] }[] = [
  { name: 'gcra', policy: { algorithm: 'gcra', limit: 20, period: 1, burst: 5 }, costs: [1, 1, 2, 0, 3] },
  {
    name: 'sliding-window',
    policy: { algorithm: 'sliding-window', limit: 8, period: 1 },
    costs: [1, 1, 2, 0, 3],
  },
  {
    name: 'fixed-window',
    policy: { algorithm: 'fixed-window', limit: 8, period: 1 },
    costs: [1, 1, 2, 0, 3],
  },
];

describe.each(redisTargets())('limiter accuracy on $name Redis', (target) => {
  let redis: Redis | Cluster;
  beforeAll(() => {
    redis = target.connect();
  });
  afterAll(() => redis.quit());

  it.each(cases)(
    'when $name is called at random intervals and costs, then every decision equals the reference model fed Redis time',
    async ({ name, policy, costs }) => {
      const store = testStore(redis);
      const set = new TestPolicies([{ name, ...policy }]);
      const model = new ReferenceModel();
      let seed = 7;
      const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      let admitted = 0;
      for (let i = 0; i < 160; i++) {
        const cost = costs[Math.floor(random() * costs.length)] as number;
        const checks = set.checks('u1', cost);
        const decision = await store.decide(checks);
        const expected = model.decide(checks, decision.timeUs);
        expect({ i, ...decision.results[0] }).toEqual({ i, ...expected.results[0] });
        expect(decision.admitted).toBe(expected.admitted);
        if (decision.admitted) admitted++;
        // Mostly bursts, sometimes long enough pauses to cross a window or refill the bucket.
        const r = random();
        if (r < 0.08) await sleep(120 + random() * 400);
        else if (r < 0.4) await sleep(random() * 25);
      }
      expect(admitted).toBeGreaterThan(20);
    },
    30000,
  );
});
