import type { RedisClient } from '@redwire/redis-kit';
import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyCheck,
  type PolicyOptions,
  policyListSchema,
  policySchema,
} from '../../src/policy';
import { RateLimitKeys } from '../../src/rate-limit-keys';
import { RateLimitStore } from '../../src/rate-limit-store';
import { testKeys } from './test-keys';

const identities = new RateLimitKeys('unused');

/** Policies compiled as the limiter compiles them, and the checks of one call, for store-level tests. */
export class TestPolicies {
  readonly compiled: readonly CompiledPolicy[];

  constructor(policies: readonly PolicyOptions[]) {
    this.compiled = policyListSchema(policySchema).parse(policies).map(compilePolicy);
  }

  /** The checks `RateLimiter.limit(keys, { cost })` builds: one key for all, or policy name → key. */
  checks(keys: string | Readonly<Record<string, string>>, cost?: number): PolicyCheck[] {
    return this.compiled.flatMap((policy) => {
      const key = typeof keys === 'string' ? keys : keys[policy.name];
      if (key === undefined) return [];
      return [{ policy, key, identity: identities.identity(key), cost: cost ?? policy.spec.cost }];
    });
  }
}

/** The same checks at cost 0: they read without spending. */
export const peek = (checks: readonly PolicyCheck[]): PolicyCheck[] => checks.map((c) => ({ ...c, cost: 0 }));

/** A store behind a random prefix with a generous deadline (these tests are about decisions, not time). */
export function testStore(redis: RedisClient, options: { deadlineMs?: number; maxBatch?: number } = {}) {
  return new RateLimitStore({
    redis,
    keys: testKeys(),
    deadlineMs: options.deadlineMs ?? 2000,
    maxBatch: options.maxBatch ?? 16,
  });
}
