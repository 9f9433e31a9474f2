import { z } from 'zod';
import { DEGRADED_SESSIONS } from '../headers';

/** One response header of the contract: its schema (a string schema: header values are text) and meaning. */
export interface HeaderContract {
  readonly description: string;
  readonly schema: z.ZodType;
}

const SF_NAME = '"[a-z0-9][a-z0-9-]{0,31}"';
/** An RFC 9651 list of `"name";k=v` members (the IETF RateLimit draft-10 fields). */
const sfList = (params: string) => new RegExp(`^${SF_NAME}${params}(, ${SF_NAME}${params})*$`);

/**
 * The headers the contract names, keyed by the component name the document gives them. Every response
 * carries `X-Request-Id`; the rate-limit fields come with every answer for which a policy was evaluated.
 */
export const HEADER_CONTRACTS = {
  XRequestId: {
    description:
      "The request id: the client's own when it sent a sane one (1–128 of `A–Z a–z 0–9 . _ : -`), else a generated UUID. Every log line of the request carries it.",
    schema: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
  },
  RateLimitPolicy: {
    description:
      'IETF draft-10: each evaluated policy (not in shadow mode) as `"name";q=<quota>;w=<window seconds>`.',
    schema: z
      .string()
      .regex(sfList(';q=\\d+;w=\\d+'))
      .meta({ examples: ['"user-free";q=10;w=1'] }),
  },
  RateLimit: {
    description:
      'IETF draft-10: what is left of each policy, `"name";r=<remaining>;t=<seconds until reset>`.',
    schema: z
      .string()
      .regex(sfList(';r=\\d+(;t=\\d+)?'))
      .meta({ examples: ['"user-free";r=7;t=1'] }),
  },
  RateLimitMode: {
    description: "The limiter's Redis was unreachable and the policies' failure mode decided.",
    schema: z.enum(['degraded-open', 'degraded-local']),
  },
  RedwireDegraded: {
    description:
      'Served while the state Redis is unreachable, on a session the gateway validated within its degraded window (safe methods only).',
    schema: z.enum([DEGRADED_SESSIONS]),
  },
  RetryAfter: {
    description: 'Whole seconds to wait before retrying, at least 1.',
    schema: z.string().regex(/^[1-9]\d*$/),
  },
  ETag: {
    description:
      'The strong entity tag `"<version>"`: send it in If-Match (writes) or If-None-Match (reads).',
    schema: z
      .string()
      .regex(/^"\d+"$/)
      .meta({ examples: ['"2"'] }),
  },
  XCache: {
    description:
      'How the profile was read: `HIT` (fresh in the cache), `MISS` (from PostgreSQL, now cached), `STALE` (cached past its fresh time, within the stale bound), `BYPASS` (the cache was skipped).',
    schema: z.enum(['HIT', 'MISS', 'STALE', 'BYPASS']),
  },
  CacheControlNoStore: {
    description: 'Never stored by any cache: the answer may carry a token or say who is signed in.',
    schema: z.literal('no-store'),
  },
  CacheControlPrivate: {
    description: 'The answer depends on who asks: no shared cache may store it; a browser revalidates it.',
    schema: z.literal('private, no-cache'),
  },
  Vary: {
    description: 'The request headers that select the viewer.',
    schema: z.literal('Authorization, Cookie'),
  },
  ClearSiteData: {
    description: 'The browser drops its cache, cookies and storage for the origin.',
    schema: z.literal('"cache", "cookies", "storage"'),
  },
} as const satisfies Record<string, HeaderContract>;

export type HeaderComponent = keyof typeof HEADER_CONTRACTS;

/** `Set-Cookie` of the session cookie named `cookieName` (set on login, cleared on logout). */
export function sessionCookieHeader(cookieName: string): HeaderContract {
  const escaped = cookieName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    description: `The session cookie \`${cookieName}\` (\`HttpOnly; SameSite=Lax; Path=/\`, \`Secure\` unless switched off), set or cleared.`,
    schema: z.string().regex(new RegExp(`^${escaped}=[^;]*; .*HttpOnly`)),
  };
}
