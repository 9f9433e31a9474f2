import type { PolicyOptions } from '@redwire/ratelimit';
import { type PolicyInput, type PolicySpec, policyFileSchema } from './policy.schema';

/** Who is asking, as far as policy selection cares. */
export interface RequestFacts {
  readonly method: string;
  /** The path without the query string. */
  readonly path: string;
  /** The client IP key (IPv6 already reduced to its /56). */
  readonly ipKey: string;
  /** The verified principal, absent for anonymous requests. */
  readonly user?: { readonly id: string; readonly tier: string };
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) {
    const base = pattern.slice(0, -2);
    return path === base || path.startsWith(`${base}/`);
  }
  return path === pattern;
}

/**
 * The gateway's policy file, validated, and the selection of the policies that apply to a request, each
 * with the key whose quota it spends. A user policy is keyed by the user id (the limiter stores a UUID in
 * 22 characters), an IP policy by `i.<address key>`, a global one by `g`; a policy holds one kind of key,
 * so kinds never meet in one policy's state.
 */
export class PolicySet {
  /** The policies in file order, with their defaults applied. */
  readonly policies: readonly PolicySpec[];

  /** Validates; throws a ZodError listing every problem. */
  constructor(policies: readonly PolicyInput[]) {
    this.policies = policyFileSchema.parse({ policies }).policies;
  }

  /** Parses the JSON policy file format `{ "policies": [...] }`. */
  static fromJson(text: string): PolicySet {
    const parsed = JSON.parse(text) as { policies?: PolicyInput[] };
    return new PolicySet(policyFileSchema.parse(parsed).policies);
  }

  /** What the limiter decides against: each policy without its selection fields. */
  limiterPolicies(): PolicyOptions[] {
    return this.policies.map(({ match: _m, identity: _i, principal: _p, tiers: _t, ...policy }) => policy);
  }

  /** Policy name → key for every policy that applies to this request (for `RateLimiter.limit`). */
  keysFor(facts: RequestFacts): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const spec of this.policies) {
      if (spec.match.methods && !spec.match.methods.includes(facts.method as never)) continue;
      if (!pathMatches(spec.match.path, facts.path)) continue;
      if (spec.principal === 'anonymous' && facts.user) continue;
      if ((spec.principal === 'authenticated' || spec.identity === 'user') && !facts.user) continue;
      if (spec.tiers && !(facts.user && spec.tiers.includes(facts.user.tier as never))) continue;
      keys[spec.name] =
        spec.identity === 'user' && facts.user
          ? facts.user.id
          : spec.identity === 'ip'
            ? `i.${facts.ipKey}`
            : 'g';
    }
    return keys;
  }
}
