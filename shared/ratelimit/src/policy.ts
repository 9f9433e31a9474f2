import { z } from 'zod';
import { type Algorithm, type AlgorithmName, algorithms } from './algorithms';

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Largest window/burst span the scripts can represent exactly in µs (about 52 days). */
const MAX_SPAN_US = 2 ** 52 / 1000;

/** Most policies one limiter holds (and one decision evaluates). */
export const MAX_POLICIES = 64;

/**
 * One policy, as given to the limiter or written in a JSON policy file. A caller may add its own fields to
 * the same format with `policySchema.safeExtend({...})` (the gateway adds request selection); the checks
 * below still run and every problem is listed in one error.
 */
export const policySchema = z
  .strictObject({
    /** Unique name: appears in `RateLimit`/`RateLimit-Policy` headers, metrics and Redis key names. */
    name: z
      .string()
      .regex(NAME, 'must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit'),
    /** @default 'gcra' */
    algorithm: z.enum(['gcra', 'sliding-window', 'fixed-window']).default('gcra'),
    /** Units admitted per `period` (the sustained rate for gcra). */
    limit: z.int().min(1).max(1_000_000),
    /** Period in whole seconds (draft-10 `w` is whole seconds). */
    period: z.int().min(1).max(86_400),
    /** gcra only: units that may be spent at once. @default limit */
    burst: z.int().min(1).max(1_000_000).optional(),
    /** Units a call spends when it gives no `cost` of its own. @default 1 */
    cost: z.int().min(0).max(1_000_000).default(1),
    /** Count and report, but never refuse and never appear in headers. @default false */
    shadow: z.boolean().default(false),
    /** Who decides when Redis cannot answer: allow, refuse (503), or the in-process limiter. @default 'local' */
    onRedisError: z.enum(['open', 'closed', 'local']).default('local'),
  })
  .superRefine((p, ctx) => {
    if (p.burst !== undefined && p.algorithm !== 'gcra') {
      ctx.addIssue({ code: 'custom', path: ['burst'], message: 'burst applies to the gcra algorithm only' });
    }
    if (p.cost > (p.burst ?? p.limit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cost'],
        message: 'cost above the burst/limit could never be admitted',
      });
    }
    const intervalUs = Math.floor((p.period * 1e6) / p.limit);
    if (intervalUs < 1) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'more than 1 unit per µs' });
    if (intervalUs * (p.burst ?? p.limit) > MAX_SPAN_US) {
      ctx.addIssue({
        code: 'custom',
        path: ['burst'],
        message: 'burst × period / limit must stay under 52 days',
      });
    }
  });

/** A policy as written: everything but `name`, `limit` and `period` has a default. */
export type PolicyOptions = z.input<typeof policySchema>;

/** A validated policy with its defaults applied. */
export type Policy = Readonly<z.output<typeof policySchema>>;

/** A policy compiled to what the scripts, the models and the headers need. Internal. */
export interface CompiledPolicy {
  readonly name: string;
  readonly spec: Policy;
  readonly algorithm: Algorithm<unknown>;
  /** Script parameter 1: gcra emission interval, or window length, in µs. */
  readonly p1: number;
  /** Script parameter 2: gcra burst, or window limit. */
  readonly p2: number;
  /** `[code, p1, p2]` as decide-N.lua receives them, stringified once. */
  readonly scriptArgs: readonly [string, string, string];
}

/** Compiles validated policies (see {@link policySchema}); names must already be unique. */
export function compilePolicy(spec: Policy): CompiledPolicy {
  const algorithm = algorithms[spec.algorithm as AlgorithmName];
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
    scriptArgs: [String(algorithm.code), String(p1), String(p2)],
  };
}

/** A list of up to {@link MAX_POLICIES} policies with unique names, each validated by `policy`. */
export const policyListSchema = <T extends z.ZodType<{ name: string }>>(policy: T) =>
  z
    .array(policy)
    .max(MAX_POLICIES)
    .superRefine((list, ctx) => {
      const seen = new Set<string>();
      list.forEach((p, i) => {
        if (seen.has(p.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: 'duplicate name' });
        seen.add(p.name);
      });
    });

/** One policy to evaluate for one call: the policy, whose quota, and the cost. Internal. */
export interface PolicyCheck {
  readonly policy: CompiledPolicy;
  /** The caller's key, as given. */
  readonly key: string;
  /** The identity part of the state key (its hash tag), from `RateLimitKeys.identity`. */
  readonly identity: string;
  readonly cost: number;
}
