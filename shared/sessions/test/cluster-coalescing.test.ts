import { type RedisCluster, startRedisCluster } from '@redwire/launchers';
import { createRedisClient, keySlot, type RedisClient, waitForReady } from '@redwire/redis-kit';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseToken, SessionReader } from '../src';
import { sessionScripts } from '../src/session-scripts';
import { anAccount, created, sessionsOn } from './support/backends';

// A cluster of its own: the assertions count its masters' script calls.
describe('session reader coalescing on a cluster: the validations of one turn share a call per hash slot', () => {
  let cluster: RedisCluster;
  let redis: RedisClient;
  const masters = () => (redis as Cluster).nodes('master');
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    redis = createRedisClient({
      clusterNodes: [...cluster.nodes],
      service: 'sessions-test',
      commandTimeoutMs: 5000,
    });
    await waitForReady(redis, 10_000);
    for (const node of masters()) await node.script('LOAD', sessionScripts.validate.lua);
  }, 60000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });
  beforeEach(async () => {
    await Promise.all(masters().map((node) => node.config('RESETSTAT')));
  });

  async function scriptCalls(): Promise<number> {
    let total = 0;
    for (const node of masters()) {
      const stats = await node.info('commandstats');
      const calls = (name: string) =>
        Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      total += calls('evalsha') + calls('eval');
    }
    return total;
  }

  it("when 20 validations of one user's sessions arrive in one turn, then Redis sees 2 calls and each token gets its own verdict", async () => {
    const { store, reader } = sessionsOn(redis);
    const account = anAccount();
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) tokens.push((await created(store, account)).token);
    await store.revokeToken(tokens[3] as string);
    // 20 requests over the user's 4 tokens; every third is tampered (wrong secret).
    const asked = Array.from({ length: 20 }, (_, i) => {
      const token = tokens[i % 4] as string;
      return i % 3 === 1 ? `${token.slice(0, -2)}xx` : token;
    });
    await Promise.all(masters().map((node) => node.config('RESETSTAT')));
    const results = await Promise.all(asked.map((token) => reader.validate(token)));
    expect(await scriptCalls()).toBe(2);
    results.forEach((result, i) => {
      if (i % 4 === 3) expect(result).toEqual({ valid: false, reason: 'unknown' });
      else if (i % 3 === 1) expect(result).toEqual({ valid: false, reason: 'mismatch' });
      else expect(result).toMatchObject({ valid: true, session: { userId: account.userId } });
    });
  });

  it('when validations of 12 users arrive in one turn, then no call mixes slots: one call per slot', async () => {
    const { store, namespace } = sessionsOn(redis);
    const reader = new SessionReader({ redis, namespace });
    const tokens: string[] = [];
    for (let i = 0; i < 12; i++) tokens.push((await created(store, anAccount())).token);
    await Promise.all(masters().map((node) => node.config('RESETSTAT')));
    const results = await Promise.all([...tokens, ...tokens].map((token) => reader.validate(token)));
    expect(results.every((r) => r.valid)).toBe(true);
    const slots = new Set(tokens.map((token) => keySlot(`{${parseToken(token)?.tag}}`)));
    expect(await scriptCalls()).toBe(slots.size);
  });
});
