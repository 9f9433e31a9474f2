import { runScript } from '@redwire/redis-kit';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideScript, refundScript } from '../src/limiter-scripts';
import type { PolicyCheck, PolicyOptions } from '../src/policy';
import { redisTargets } from './support/redis-targets';
import { peek, TestPolicies, testStore } from './support/test-policies';

async function masters(redis: Redis | Cluster): Promise<Redis[]> {
  return redis instanceof Cluster ? redis.nodes('master') : [redis as Redis];
}

describe.each(redisTargets())('rate-limit store on $name Redis', (target) => {
  let redis: Redis | Cluster;
  beforeAll(() => {
    redis = target.connect();
  });
  afterAll(() => redis.quit());

  const storeWith = (policies: PolicyOptions[]) => ({
    store: testStore(redis),
    set: new TestPolicies(policies),
  });

  it('when the scripts are loaded, then SCRIPT LOAD returns the SHA the store sends', async () => {
    for (const node of await masters(redis)) {
      expect(await node.script('LOAD', decideScript.lua)).toBe(decideScript.sha);
      expect(await node.script('LOAD', refundScript.lua)).toBe(refundScript.sha);
    }
  });

  it.each([
    ['gcra', { algorithm: 'gcra', limit: 10, period: 3600 }],
    ['sliding-window', { algorithm: 'sliding-window', limit: 10, period: 3600 }],
    ['fixed-window', { algorithm: 'fixed-window', limit: 10, period: 3600 }],
  ] as const)(
    'when %s has 2 units left and a request costs 5, then it is denied and 2 units remain',
    async (_, policy) => {
      const { store, set } = storeWith([{ name: 'w', ...policy }]);
      const eight = await store.decide(set.checks('alice', 8));
      expect(eight.admitted).toBe(true);
      expect(eight.results[0]?.remaining).toBe(2);
      const five = await store.decide(set.checks('alice', 5));
      expect(five.admitted).toBe(false);
      expect(five.results[0]).toMatchObject({ status: 'denied', remaining: 2 });
      expect(five.results[0]?.waitUs).toBeGreaterThan(0);
      expect((await store.decide(peek(set.checks('alice')))).results[0]?.remaining).toBe(2);
      const two = await store.decide(set.checks('alice', 2));
      expect(two.results[0]).toMatchObject({ status: 'allowed', remaining: 0 });
    },
  );

  it('when a call reaches Redis after its not-after time, then it decides nothing and spends nothing', async () => {
    const { store, set } = storeWith([{ name: 'late', limit: 3, period: 3600 }]);
    const [check] = set.checks('alice', 1) as [PolicyCheck];
    const [code, p1, p2] = check.policy.scriptArgs;
    // decide-N.lua's arguments for one request of one policy, as the store encodes them.
    const call = (notAfterUs: number) =>
      runScript(redis, decideScript, [store.key(check)], [1, notAfterUs, 1, code, p1, p2, 1, '0']);

    const late = (await call(1)) as unknown[];
    expect(late).toHaveLength(3);
    expect(late[2]).toBe(1);
    expect((await store.decide(peek(set.checks('alice')))).results[0]?.remaining).toBe(3);

    // A bound still ahead of the server's clock decides as usual and spends.
    const redisUs = Number(late[0]) * 1_000_000 + Number(late[1]);
    const inTime = (await call(redisUs + 60_000_000)) as unknown[];
    expect(inTime.slice(2, 4)).toEqual([0, 1]);
    expect((await store.decide(peek(set.checks('alice')))).results[0]?.remaining).toBe(2);
  });

  it('when a request costs more than the burst, then it is unsatisfiable, spends nothing and has no wait', async () => {
    const { store, set } = storeWith([{ name: 'b', limit: 10, period: 60, burst: 4 }]);
    const decision = await store.decide(set.checks('alice', 5));
    expect(decision.admitted).toBe(false);
    expect(decision.results[0]).toMatchObject({ status: 'unsatisfiable', remaining: 4, waitUs: -1 });
    expect((await store.decide(peek(set.checks('alice')))).results[0]?.remaining).toBe(4);
  });

  it('when one policy denies, then no other policy of the request spends quota', async () => {
    const { store, set } = storeWith([
      { name: 'user', limit: 1, period: 3600 },
      { name: 'ip', algorithm: 'sliding-window', limit: 100, period: 3600 },
      { name: 'all', algorithm: 'fixed-window', limit: 100, period: 3600 },
    ]);
    const checks = set.checks({ user: 'alice', ip: 'i.192.0.2.7', all: 'g' });
    const first = await store.decide(checks);
    expect(first.admitted).toBe(true);
    // Three keys: one script call on a single node; one per key's slot on a cluster.
    expect(first.calls).toBe(target.name === 'standalone' ? 1 : 3);
    const denied = await store.decide(checks);
    expect(denied.admitted).toBe(false);
    expect(denied.results.map((r) => r.status)).toEqual(['denied', 'allowed', 'allowed']);
    // Nothing was spent, so the policies that allowed report their unchanged state.
    expect(denied.results.map((r) => r.remaining)).toEqual([0, 99, 99]);
    const after = await store.decide(peek(checks));
    expect(after.results.map((r) => r.remaining)).toEqual([0, 99, 99]);
  });

  it('when a shadow policy would deny, then the request is admitted and the shadow policy reports the deny', async () => {
    const { store, set } = storeWith([
      { name: 'real', limit: 100, period: 60 },
      { name: 'trial', limit: 1, period: 3600, shadow: true },
    ]);
    const checks = set.checks({ real: 'alice', trial: 'i.192.0.2.7' });
    await store.decide(checks);
    const second = await store.decide(checks);
    expect(second.admitted).toBe(true);
    expect(second.results.map((r) => r.status)).toEqual(['allowed', 'denied']);
    expect((await store.decide(peek(checks))).results.map((r) => r.remaining)).toEqual([98, 0]);
  });

  it('when 40 users behind one IP race (per-user 10, per-IP 100), then the IP counter grows by exactly the admitted requests', async () => {
    const { store, set } = storeWith([
      { name: 'per-user', algorithm: 'sliding-window', limit: 10, period: 3600 },
      { name: 'per-ip', algorithm: 'sliding-window', limit: 100, period: 3600 },
    ]);
    const of = (user: string) => set.checks({ 'per-user': user, 'per-ip': 'i.192.0.2.7' });
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const attempts = users.flatMap((id) => Array.from({ length: 6 }, () => id));
    const decisions = await Promise.all(attempts.map((id) => store.decide(of(id))));
    const admitted = decisions.filter((d) => d.admitted).length;
    expect(admitted).toBe(100);
    expect((await store.decide(peek(of('nobody')))).results[1]?.remaining).toBe(0);
    // Per user: exactly what that user was admitted.
    let spentByUsers = 0;
    for (const id of users) {
      const left = await store.decide(peek(of(id)));
      spentByUsers += 10 - (left.results[0]?.remaining ?? 0);
    }
    expect(spentByUsers).toBe(admitted);
  });
});
