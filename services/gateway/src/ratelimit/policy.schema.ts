import { z } from 'zod';

const NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
const PATH = /^\/[A-Za-z0-9._~\-/]*(\/\*)?$|^\*$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Largest window/burst span the scripts can represent exactly in µs (about 52 days). */
const MAX_SPAN_US = 2 ** 52 / 1000;

/**
 * One rate-limit policy as written in the policy file. Everything but `name`, `identity`, `limit` and
 * `period` has a default.
 */
export const policySchema = z
  .strictObject({
    /** Unique name: appears in `RateLimit`/`RateLimit-Policy` headers, metrics and key names. */
    name: z
      .string()
      .regex(NAME, 'must be 1-32 characters of a-z, 0-9 and -, starting with a letter or digit'),
    /** Which requests it applies to. @default every method, every path */
    match: z
      .strictObject({
        /** @default every method */
        methods: z.array(z.enum(METHODS)).min(1).optional(),
        /** Exact path (`/auth/login`), a prefix ending in `/*` (`/users/*`, which also matches `/users`), or `*`. @default '*' */
        path: z.string().regex(PATH, 'must be an exact path, a prefix ending in /*, or *').default('*'),
      })
      .default({ path: '*' }),
    /** Whose quota is spent: the signed-in user, the client IP (IPv6 by /56), or one shared global quota. */
    identity: z.enum(['user', 'ip', 'global']),
    /** Whether it applies to anonymous requests, signed-in ones, or both. `user` policies are always `authenticated`. @default 'any' */
    principal: z.enum(['anonymous', 'authenticated', 'any']).default('any'),
    /** Restrict to signed-in users of these tiers. @default every tier */
    tiers: z
      .array(z.enum(['free', 'pro']))
      .min(1)
      .optional(),
    /** @default 'gcra' */
    algorithm: z.enum(['gcra', 'sliding-window', 'fixed-window']).default('gcra'),
    /** Units admitted per `period` (the sustained rate for gcra). */
    limit: z.int().min(1).max(1_000_000),
    /** Period in whole seconds (draft-10 `w` must be whole seconds). */
    period: z.int().min(1).max(86_400),
    /** gcra only: units that may be spent at once. @default limit */
    burst: z.int().min(1).max(1_000_000).optional(),
    /** Units each matching request spends; a request costing more than the burst/limit is refused as unsatisfiable. @default 1 */
    cost: z.int().min(0).max(1_000_000).default(1),
    /** Count and report in metrics, but never block and never appear in headers. @default false */
    shadow: z.boolean().default(false),
    /** What to do when Redis cannot answer: allow, refuse with 503, or use the in-process limiter. @default 'local' */
    onRedisError: z.enum(['open', 'closed', 'local']).default('local'),
  })
  .superRefine((p, ctx) => {
    if (p.burst !== undefined && p.algorithm !== 'gcra') {
      ctx.addIssue({ code: 'custom', path: ['burst'], message: 'burst applies to the gcra algorithm only' });
    }
    if (p.identity === 'user' && p.principal === 'anonymous') {
      ctx.addIssue({
        code: 'custom',
        path: ['principal'],
        message: 'a user policy cannot apply to anonymous requests',
      });
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

/** The policy file: `{ "policies": [ ... ] }`. */
export const policyFileSchema = z
  .strictObject({
    policies: z.array(policySchema).max(64),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.policies.forEach((p, i) => {
      if (seen.has(p.name))
        ctx.addIssue({ code: 'custom', path: ['policies', i, 'name'], message: 'duplicate name' });
      seen.add(p.name);
    });
  });

/** A policy as written (input) — defaults not yet applied. */
export type PolicyInput = z.input<typeof policySchema>;
/** A validated policy with defaults applied. */
export type PolicySpec = z.output<typeof policySchema>;
