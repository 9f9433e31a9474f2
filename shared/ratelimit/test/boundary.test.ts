import type { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../src/rate-limit-store';
import { redisTargets } from './support/redis-targets';
import { peek as atCostZero, TestPolicies, testStore } from './support/test-policies';

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

/**
 * A burst of 2× the limit late in one window, another just after the boundary (both concurrent, so a slow
 * CPU cannot spread them out), then steady requests until the second window is mostly over. Returns the
 * Redis times of the admitted requests.
 */
async function hammerAcrossBoundary(store: RateLimitStore, algorithm: 'sliding-window' | 'fixed-window') {
  const set = new TestPolicies([{ name: 'w', algorithm, limit: LIMIT, period: 1 }]);
  const checks = set.checks('i.198.51.100.9');
  const peek = () => store.decide(atCostZero(checks));
  const admitted: number[] = [];
  const burst = async () => {
    const decisions = await Promise.all(Array.from({ length: 2 * LIMIT }, () => store.decide(checks)));
    for (const d of decisions) if (d.admitted) admitted.push(d.timeUs);
    return Math.max(...decisions.map((d) => d.timeUs));
  };
  // A cost-0 check reads the Redis time without spending anything.
  const into = (await peek()).timeUs % WINDOW_US;
  await sleep(((WINDOW_US * 0.6 - into + WINDOW_US) % WINDOW_US) / 1000);
  const last = await burst();
  const boundary = (Math.floor(last / WINDOW_US) + 1) * WINDOW_US;
  await sleep((boundary - last) / 1000 + 20);
  const start = await burst();
  for (;;) {
    const decision = await store.decide(checks);
    if (decision.timeUs - start > 0.8 * WINDOW_US) break;
    if (decision.admitted) admitted.push(decision.timeUs);
    await sleep(5);
  }
  return admitted.sort((a, b) => a - b);
}

describe.each(redisTargets())('window boundary on $name Redis', (target) => {
  let redis: Redis | Cluster;
  beforeAll(() => {
    redis = target.connect();
  });
  afterAll(() => redis.quit());

  it('when requests hammer both sides of a boundary, then the sliding window never admits 2x the limit in any window', async () => {
    const store = testStore(redis);
    const admitted = await hammerAcrossBoundary(store, 'sliding-window');
    expect(admitted.length).toBeGreaterThanOrEqual(LIMIT);
    expect(maxInAnyWindow(admitted)).toBeLessThan(2 * LIMIT);
  });

  it('when the same load hits a fixed window, then it admits 2x the limit within one window (the contrast)', async () => {
    const store = testStore(redis);
    const admitted = await hammerAcrossBoundary(store, 'fixed-window');
    expect(maxInAnyWindow(admitted)).toBe(2 * LIMIT);
  });
});
