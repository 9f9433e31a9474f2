import { z } from 'zod';

// Field rules of the public contract, defined once. Every service that accepts one of these fields parses
// it with the schema exported here, so two services can never disagree about what a valid name is (auth
// once accepted names the user service refused, and reported the refusal as a 503).
//
// Messages never echo the input: they end up in the `errors` member of a 400.

/** Characters as the contract counts them: Unicode code points (PostgreSQL's char_length agrees). */
export const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

// NUL cannot be stored in a PostgreSQL text column, and no other control character belongs in a name:
// refusing them here keeps "bad input → 4xx" true instead of surfacing a driver error as a 500.
const isControl = (code: number) => code < 0x20 || code === 0x7f;
const hasControl = (s: string, allowed: ReadonlySet<number>) => {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (isControl(code) && !allowed.has(code)) return true;
  }
  return false;
};
const NONE: ReadonlySet<number> = new Set();
const LINE_BREAKS_AND_TABS: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0d]);

/**
 * A lone UTF-16 surrogate cannot be encoded as UTF-8: PostgreSQL would receive U+FFFD instead, so the value
 * read back would differ from the one accepted. Refused like any other unstorable character.
 */
const LONE_SURROGATE = /\p{Cs}/u;
const hasLoneSurrogate = (s: string) => LONE_SURROGATE.test(s);

/** Lengths of the contract's fields. */
export const LIMITS = {
  email: 254,
  nameMin: 1,
  nameMax: 100,
  bioMax: 1000,
  passwordMin: 15,
  passwordMax: 256,
  pageMin: 1,
  pageMax: 100,
  pageDefault: 20,
} as const;

/** A user id: a UUID (any version; servers generate v7), normalised to lower case. */
export const userIdSchema = z.uuid({ error: 'must be a user id (UUID)' }).transform((id) => id.toLowerCase());

/** An email address as stored and answered: valid, at most 254 characters (no transform: responses use it). */
export const emailAddressSchema = z
  .email({ error: 'must be a valid email address' })
  .max(LIMITS.email, `must be at most ${LIMITS.email} characters`);

/** `email` as a client sends it: trimmed, lower-cased, then an {@link emailAddressSchema}. */
export const emailSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(emailAddressSchema);

/** The key every per-account rule uses (back-off, uniqueness): what {@link emailSchema} outputs. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `name`: 1–100 characters after trimming, no control characters. */
export const nameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .refine(
    (s) => codePoints(s) >= LIMITS.nameMin && codePoints(s) <= LIMITS.nameMax,
    `must be ${LIMITS.nameMin}–${LIMITS.nameMax} characters after trimming`,
  )
  .refine((s) => !hasControl(s, NONE), 'must not contain control characters')
  .refine((s) => !hasLoneSurrogate(s), 'must be valid Unicode');

/** `bio`: 0–1000 characters; line breaks and tabs allowed, other control characters not. */
export const bioSchema = z
  .string({ error: 'must be a string' })
  .refine((s) => codePoints(s) <= LIMITS.bioMax, `must be at most ${LIMITS.bioMax} characters`)
  .refine((s) => !hasControl(s, LINE_BREAKS_AND_TABS), 'must not contain control characters')
  .refine((s) => !hasLoneSurrogate(s), 'must be valid Unicode');

const passwordMax = (s: string) => codePoints(s) <= LIMITS.passwordMax;

/** A new password (registration, password change): 15–256 code points, never truncated. */
export const newPasswordSchema = z
  .string({ error: 'must be a string' })
  .refine((s) => codePoints(s) >= LIMITS.passwordMin, `must be at least ${LIMITS.passwordMin} characters`)
  .refine(passwordMax, `must be at most ${LIMITS.passwordMax} characters`);

/**
 * A password presented for verification. Too-short ones are not rejected (that would tell an attacker the
 * rule, and every login failure must look alike); only the upper bound is, because hashing unbounded input
 * is a denial-of-service vector.
 */
export const presentedPasswordSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .refine(passwordMax, `must be at most ${LIMITS.passwordMax} characters`);

/** `limit` as a query string carries it: an integer 1–100 (one value; a repeated parameter is an array). */
export const pageLimitSchema = z
  .string({ error: `must be a single integer from ${LIMITS.pageMin} to ${LIMITS.pageMax}` })
  .regex(/^(100|[1-9]\d?)$/, `must be an integer from ${LIMITS.pageMin} to ${LIMITS.pageMax}`)
  .transform(Number);

const CURSOR_PREFIX = 'u1:';
const CURSOR_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/** The opaque `nextCursor` for a page ending at user `lastId`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${lastId}`, 'utf8').toString('base64url');
}

/** The user id a cursor points after, or undefined for anything that is not a cursor we issued. */
export function decodeCursor(cursor: string): string | undefined {
  if (!CURSOR_SHAPE.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) return undefined;
  const parsed = userIdSchema.safeParse(text.slice(CURSOR_PREFIX.length));
  return parsed.success ? parsed.data : undefined;
}

/** `cursor`: the opaque string from `nextCursor`; output is the user id it points after. */
export const cursorSchema = z
  .string({ error: 'must be a single cursor' })
  .regex(CURSOR_SHAPE, 'is not a valid cursor')
  .transform((cursor, ctx) => {
    const after = decodeCursor(cursor);
    if (after === undefined) {
      ctx.issues.push({ code: 'custom', message: 'is not a valid cursor', input: cursor });
      return z.NEVER;
    }
    return after;
  });

/** A public session id (`<tag><member>`, base64url): never the secret part of a token. */
export const sessionIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{38}$/, 'must be a session id');

/** Account roles. No role is ever granted by registering: the first admin is an operator's act. */
export const ROLES = ['user', 'admin'] as const;
export const TIERS = ['free', 'pro'] as const;
export const ACCOUNT_STATUSES = ['active', 'disabled'] as const;

export const roleSchema = z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` });
export const tierSchema = z.enum(TIERS, { error: `must be one of ${TIERS.join(', ')}` });
export const accountStatusSchema = z.enum(ACCOUNT_STATUSES, {
  error: `must be one of ${ACCOUNT_STATUSES.join(', ')}`,
});

export type Role = z.output<typeof roleSchema>;
export type Tier = z.output<typeof tierSchema>;
