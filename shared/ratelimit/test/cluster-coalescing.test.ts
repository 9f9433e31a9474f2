import { type RedisCluster, startRedisCluster } from '@redwire/launchers';
import { keySlot, waitForReady } from '@redwire/redis-kit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideScript, refundScript } from '../src/limiter-scripts';
import type { PolicyCheck } from '../src/policy';
import type { StoreDecision } from '../src/rate-limit-store';
import { peek, TestPolicies, testStore } from './support/test-policies';

// A cluster of its own: the assertions count its masters' script calls.
describe('rate-limit store on a cluster: the identity groups of one turn that share a slot share a script call', () => {
  let cluster: RedisCluster;
  let redis: Cluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    redis = new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    await waitForReady(redis, 10_000);
    // Loaded up front on every master, so a first call's NOSCRIPT + EVAL does not count twice.
    for (const node of redis.nodes('master')) {
      await node.script('LOAD', decideScript.lua);
      await node.script('LOAD', refundScript.lua);
    }
  }, 60000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });
  beforeEach(async () => {
    await Promise.all(redis.nodes('master').map((node) => node.config('RESETSTAT')));
  });

  async function scriptCalls(): Promise<number> {
    let total = 0;
    for (const node of redis.nodes('master')) {
      const stats = await node.info('commandstats');
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      total += calls('evalsha') + calls('eval');
    }
    return total;
  }

  /** Decide-N calls the slot grouping should make: per slot, ceil(identity groups / maxBatch). */
  function expectedDecideCalls(
    store: ReturnType<typeof testStore>,
    calls: PolicyCheck[][],
    maxBatch: number,
  ) {
    const perSlot = new Map<number, number>();
    for (const checks of calls) {
      const slots = new Set(checks.map((check) => keySlot(store.key(check))));
      for (const slot of slots) perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    }
    return [...perSlot.values()].reduce((sum, n) => sum + Math.ceil(n / maxBatch), 0);
  }

  it('when 40 requests of one identity arrive in one turn with maxBatch 16, then Redis sees 3 calls and admits exactly the limit', async () => {
    const store = testStore(redis, { maxBatch: 16 });
    const set = new TestPolicies([{ name: 'global', limit: 25, period: 3600 }]);
    const decisions = await Promise.all(Array.from({ length: 40 }, () => store.decide(set.checks('all'))));
    expect(await scriptCalls()).toBe(3);
    // In submission order, as one call per request would decide them: the first 25 admitted.
    expect(decisions.map((d) => d.admitted)).toEqual([...Array(25).fill(true), ...Array(15).fill(false)]);
    expect(decisions.map((d) => d.results[0]?.remaining)).toEqual(
      Array.from({ length: 40 }, (_, i) => Math.max(24 - i, 0)),
    );
  });

  it('when 40 users behind one address race in one turn, then the decisions equal those of one call per request, in fewer script calls', async () => {
    const set = new TestPolicies([
      { name: 'per-user', limit: 1, period: 3600 },
      { name: 'per-ip', algorithm: 'sliding-window', limit: 25, period: 3600 },
    ]);
    // 20 users, each asking twice, all behind one address allowing 25.
    const calls = Array.from({ length: 40 }, (_, i) =>
      set.checks({ 'per-user': `u${i % 20}`, 'per-ip': 'i.192.0.2.1' }),
    );
    const run = async (maxBatch: number) => {
      const store = testStore(redis, { maxBatch });
      await Promise.all(redis.nodes('master').map((node) => node.config('RESETSTAT')));
      const decisions: StoreDecision[] = await Promise.all(calls.map((checks) => store.decide(checks)));
      const probe = await store.decide(peek(set.checks({ 'per-ip': 'i.192.0.2.1' })));
      const sent = (await scriptCalls()) - 1;
      // A refusal refunds the groups that reserved: the calls a decision took part in beyond its 2 groups.
      const refunds = decisions.reduce((sum, d) => sum + d.calls - 2, 0);
      return { store, decisions, sent, refunds, ipRemaining: probe.results[0]?.remaining };
    };
    const unbatched = await run(1);
    const batched = await run(16);

    expect(batched.decisions.map((d) => d.admitted)).toEqual(unbatched.decisions.map((d) => d.admitted));
    expect(batched.decisions.filter((d) => d.admitted)).toHaveLength(20);
    expect(batched.ipRemaining).toBe(25 - 20);
    expect(unbatched.ipRemaining).toBe(25 - 20);
    expect(unbatched.sent).toBe(80 + unbatched.refunds);
    // The address's 40 groups share 3 calls; each user's two groups share one.
    expect(batched.sent).toBe(expectedDecideCalls(batched.store, calls, 16) + batched.refunds);
    expect(batched.sent).toBeLessThan(unbatched.sent - 30);
  });

  it('when requests of different slots arrive in one turn, then no call mixes slots and each is decided on its own', async () => {
    const store = testStore(redis, { maxBatch: 16 });
    const set = new TestPolicies([{ name: 'per-user', limit: 2, period: 3600 }]);
    const users = Array.from({ length: 30 }, (_, i) => `s${i % 10}`);
    const decisions = await Promise.all(users.map((user) => store.decide(set.checks(user))));
    // Every user asked 3 times with a limit of 2: exactly its first two admitted, whatever its slot.
    expect(decisions.map((d) => d.admitted)).toEqual([...Array(20).fill(true), ...Array(10).fill(false)]);
    const slots = new Set(users.map((user) => keySlot(store.key(set.checks(user)[0] as PolicyCheck))));
    expect(await scriptCalls()).toBe(slots.size);
  });
});
