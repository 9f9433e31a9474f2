import { policyListSchema, policySchema } from '@redwire/ratelimit';
import { z } from 'zod';

const PATH = /^\/[A-Za-z0-9._~\-/]*(\/\*)?$|^\*$/;
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * One policy of the gateway's policy file: a `@redwire/ratelimit` policy (name, algorithm, limit, period,
 * burst, cost, shadow, onRedisError; see its README) plus which requests it applies to and whose quota
 * they spend. Everything but `name`, `identity`, `limit` and `period` has a default.
 */
export const gatewayPolicySchema = policySchema
  .safeExtend({
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
  })
  .superRefine((p, ctx) => {
    if (p.identity === 'user' && p.principal === 'anonymous') {
      ctx.addIssue({
        code: 'custom',
        path: ['principal'],
        message: 'a user policy cannot apply to anonymous requests',
      });
    }
  });

/** The policy file: `{ "policies": [ ... ] }`, at most 64, names unique. */
export const policyFileSchema = z.strictObject({ policies: policyListSchema(gatewayPolicySchema) });

/** A policy as written (input) — defaults not yet applied. */
export type PolicyInput = z.input<typeof gatewayPolicySchema>;
/** A validated policy with defaults applied. */
export type PolicySpec = z.output<typeof gatewayPolicySchema>;
