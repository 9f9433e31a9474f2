import { type Algorithm, algorithms } from './algorithms';
import { type PolicyInput, type PolicySpec, policyFileSchema } from './policy.schema';

/** A validated policy, compiled to what the scripts and headers need. */
export interface Policy {
  readonly name: string;
  readonly spec: PolicySpec;
  readonly algorithm: Algorithm<unknown>;
  /** Script parameter 1: gcra emission interval, or window length, in µs. */
  readonly p1: number;
  /** Script parameter 2: gcra burst, or window limit. */
  readonly p2: number;
  /** draft-10 `q` and `w`: `limit` units per `period` seconds. */
  readonly quota: number;
  readonly windowSeconds: number;
  /** `[code, p1, p2]` as decide-N.lua receives them, stringified once. */
  readonly scriptArgs: readonly [string, string, string];
}

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

/** One policy to evaluate for one request: the policy, whose quota, and the cost. */
export interface PolicyCheck {
  readonly policy: Policy;
  /** The identity part of the state key (its hash tag): `u.<user id>`, `i.<ip key>` or `g`. */
  readonly identity: string;
  readonly cost: number;
}

function compile(spec: PolicySpec): Policy {
  const algorithm = algorithms[spec.algorithm];
  const periodUs = spec.period * 1_000_000;
  // Rounding the interval up keeps the sustained rate at or under the advertised `q` per `w`.
  const p1 = spec.algorithm === 'gcra' ? Math.ceil(periodUs / spec.limit) : periodUs;
  const p2 = spec.algorithm === 'gcra' ? (spec.burst ?? spec.limit) : spec.limit;
  return {
    name: spec.name,
    spec,
    algorithm,
    p1,
    p2,
    quota: spec.limit,
    windowSeconds: spec.period,
    scriptArgs: [String(algorithm.code), String(p1), String(p2)],
  };
}

function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('/*')) {
    const base = pattern.slice(0, -2);
    return path === base || path.startsWith(`${base}/`);
  }
  return path === pattern;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * UUIDs shrink from 36 to 22 characters (base64url of their 16 bytes): the key stays within 48 characters
 * for policy names up to 19, the size at which a GCRA key costs at most 104 bytes of Redis memory.
 */
function userPart(id: string): string {
  return UUID.test(id) ? Buffer.from(id.replaceAll('-', ''), 'hex').toString('base64url') : id;
}

/** The ordered, validated set of policies, and the selection of those that apply to a request. */
export class PolicySet {
  readonly policies: readonly Policy[];

  /** Validates and compiles; throws a ZodError listing every problem. */
  constructor(policies: readonly PolicyInput[]) {
    const file = policyFileSchema.parse({ policies });
    this.policies = file.policies.map(compile);
  }

  /** Parses the JSON policy file format `{ "policies": [...] }`. */
  static fromJson(text: string): PolicySet {
    const parsed = JSON.parse(text) as { policies?: PolicyInput[] };
    return new PolicySet(policyFileSchema.parse(parsed).policies);
  }

  /** The policies that apply to this request, in file order, with their identities and costs. */
  checksFor(facts: RequestFacts): PolicyCheck[] {
    const checks: PolicyCheck[] = [];
    for (const policy of this.policies) {
      const { spec } = policy;
      if (spec.match.methods && !spec.match.methods.includes(facts.method as never)) continue;
      if (!pathMatches(spec.match.path, facts.path)) continue;
      if (spec.principal === 'anonymous' && facts.user) continue;
      if ((spec.principal === 'authenticated' || spec.identity === 'user') && !facts.user) continue;
      if (spec.tiers && !(facts.user && spec.tiers.includes(facts.user.tier as never))) continue;
      const identity =
        spec.identity === 'user' && facts.user
          ? `u.${userPart(facts.user.id)}`
          : spec.identity === 'ip'
            ? `i.${facts.ipKey}`
            : 'g';
      checks.push({ policy, identity, cost: spec.cost });
    }
    return checks;
  }
}
