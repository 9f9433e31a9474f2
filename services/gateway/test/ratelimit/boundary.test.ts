import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicySet } from '../../src/ratelimit/policy-set';
import { RateLimitStore } from '../../src/ratelimit/ratelimit.store';
import { redisTargets } from '../support/redis-targets';
import { testKeys } from '../support/test-keys';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WINDOW_US = 1_000_000;
const LIMIT = 10;

/** Most admissions inside any window-long interval. */
function maxInAnyWindow(times: number[]): number {
  let best = 0;
  for (let i = 0, j = 0; j < times.length; j++) {
    while ((times[j] as number) - (times[i] as number) >= WINDOW_US) i++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Fills the quota at the end of one window, then keeps asking until the next window is nearly over. */
async function hammerAcrossBoundary(store: RateLimitStore, algorithm: 'sliding-window' | 'fixed-window') {
  const set = new PolicySet([{ name: 'w', identity: 'ip', algorithm, limit: LIMIT, period: 1 }]);
  const checks = set.checksFor({ method: 'GET', path: '/', ipKey: '198.51.100.9' });
  // Align to 0.85 of a Redis-time window using a peek (cost 0 reads the time without spending).
  const peek = await store.decide(checks.map((c) => ({ ...c, cost: 0 })));
  const into = peek.timeUs % WINDOW_US;
  await sleep(((WINDOW_US * 0.85 - into + WINDOW_US) % WINDOW_US) / 1000);
  const admitted: number[] = [];
  const start = (await store.decide(checks.map((c) => ({ ...c, cost: 0 })))).timeUs;
  for (;;) {
    const decision = await store.decide(checks);
    if (decision.timeUs - start > 1.1 * WINDOW_US) break;
    if (decision.admitted) admitted.push(decision.timeUs);
    await sleep(5);
  }
  return admitted;
}

describe.each(redisTargets())('window boundary on $name Redis', (target) => {
  let redis: Redis | Cluster;
  beforeAll(() => {
    redis = target.connect();
  });
  afterAll(() => redis.quit());

  it('when requests hammer both sides of a boundary, then the sliding window never admits 2x the limit in any window', async () => {
    const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: 2000 });
    const admitted = await hammerAcrossBoundary(store, 'sliding-window');
    expect(admitted.length).toBeGreaterThanOrEqual(LIMIT);
    expect(maxInAnyWindow(admitted)).toBeLessThan(2 * LIMIT);
  });

  it('when the same load hits a fixed window, then it admits 2x the limit within one window (the contrast)', async () => {
    const store = new RateLimitStore({ redis, keys: testKeys(), deadlineMs: 2000 });
    const admitted = await hammerAcrossBoundary(store, 'fixed-window');
    expect(maxInAnyWindow(admitted)).toBe(2 * LIMIT);
  });
});
