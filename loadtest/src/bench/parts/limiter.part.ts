// The gateway's limiter as the suite drives it. The gateway exports no library entry yet, so this reaches
// into its compiled modules; every deep import of the gateway lives in this file.

import { PolicySet } from '@redwire/gateway/dist/ratelimit/policy-set';
import { RateLimitStore } from '@redwire/gateway/dist/ratelimit/ratelimit.store';
import { Keyspace } from '@redwire/redis-kit';
import type { BenchStack } from '../stack/bench-stack';
import { closeClient, readyRequestClient } from './request-client';

/** One decision for a signed-in request of user `n` from IP `n`: both policies in one round trip. */
export interface LimiterUnderTest {
  /** Resolves to whether every policy admitted the request. */
  decide(identity: number): Promise<boolean>;
  /** The Redis key of the per-user policy for `identity` (for MEMORY USAGE). */
  userKey(identity: number): string;
}

/** A UUID (v7 layout) per identity number, like the user ids the gateway sees. */
function userId(identity: number): string {
  return `0195f1c2-7a3b-7cde-8f01-${identity.toString(16).padStart(12, '0')}`;
}

/** Two policies like a signed-in GET: per-user (by tier) and per-IP, GCRA, `limit` per `period` seconds each. */
export async function createLimiter(
  stack: BenchStack,
  options: { readonly namespace: string; readonly limit: number; readonly period: number },
): Promise<LimiterUnderTest> {
  const redis = await readyRequestClient(stack.redisUrl, 'bench-gateway');
  stack.onClose(() => closeClient(redis));
  const policies = new PolicySet([
    { name: 'user-free', identity: 'user', limit: options.limit, period: options.period },
    { name: 'ip', identity: 'ip', limit: options.limit, period: options.period },
  ]);
  const store = new RateLimitStore({
    redis,
    keys: new Keyspace({ service: 'gateway', namespace: options.namespace }),
  });
  const checksOf = (identity: number) =>
    policies.checksFor({
      method: 'GET',
      path: '/users/x',
      ipKey: `10.0.${identity >> 8}.${identity & 255}`,
      user: { id: userId(identity), tier: 'free' },
    });
  return {
    async decide(identity) {
      return (await store.decide(checksOf(identity))).admitted;
    },
    userKey(identity) {
      const check = checksOf(identity)[0];
      if (!check) throw new Error('no user policy selected');
      return store.key(check);
    },
  };
}
