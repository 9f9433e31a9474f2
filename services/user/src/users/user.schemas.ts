import { errors } from '@redwire/http-kit';
import { z } from 'zod';

/** Characters as API.md counts them: Unicode code points (PostgreSQL's char_length agrees). */
const codePoints = (s: string) => [...s].length;

// NUL cannot be stored in a PostgreSQL text column, and no other control character belongs in a name:
// refusing them here keeps "bad input → 4xx" true instead of surfacing a driver error as a 500.
const isControl = (code: number) => code < 0x20 || code === 0x7f;
const hasControl = (s: string, allowed: ReadonlySet<number> = new Set()) => {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (isControl(code) && !allowed.has(code)) return true;
  }
  return false;
};
const LINE_BREAKS_AND_TABS: ReadonlySet<number> = new Set([0x09, 0x0a, 0x0d]);

/** A user id: a UUID (any version; servers generate v7), normalised to lower case. */
export const userIdSchema = z.uuid({ error: 'must be a UUID' }).transform((id) => id.toLowerCase());

/** `name`: 1–100 characters after trimming. */
export const nameSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .refine((s) => codePoints(s) >= 1 && codePoints(s) <= 100, 'must be 1–100 characters after trimming')
  .refine((s) => !hasControl(s), 'must not contain control characters');

/** `bio`: 0–1000 characters (line breaks and tabs allowed). */
export const bioSchema = z
  .string({ error: 'must be a string' })
  .refine((s) => codePoints(s) <= 1000, 'must be at most 1000 characters')
  .refine((s) => !hasControl(s, LINE_BREAKS_AND_TABS), 'must not contain control characters');

/** `email`: trimmed, lower-cased, a valid address of at most 254 characters. */
export const emailSchema = z
  .string({ error: 'must be a string' })
  .trim()
  .toLowerCase()
  .pipe(z.email({ error: 'must be a valid email address' }).max(254, 'must be at most 254 characters'));

/** PATCH /users/:id body: at least one of name, bio. */
export const patchUserSchema = z
  .strictObject({ name: nameSchema.optional(), bio: bioSchema.optional() })
  .refine((b) => b.name !== undefined || b.bio !== undefined, 'must contain name or bio');

/** POST /internal/users body. */
export const createUserSchema = z.strictObject({ id: userIdSchema, email: emailSchema, name: nameSchema });

/** GET /users query. */
export const listQuerySchema = z.strictObject({
  limit: z
    .string({ error: 'must be a single integer from 1 to 100' })
    .regex(/^(100|[1-9]\d?)$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .optional(),
  cursor: z.string({ error: 'must be a single cursor' }).optional(),
});

const CURSOR_PREFIX = 'u1:';

/** The opaque `nextCursor` for a page ending at user `lastId`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${lastId}`, 'utf8').toString('base64url');
}

/** The user id a cursor points after; a 400 for anything that is not a cursor this service issued. */
export function decodeCursor(cursor: string): string {
  const invalid = () => errors.E_VALIDATION({ cursor: ['is not a valid cursor'] }, 'The cursor is invalid.');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith(CURSOR_PREFIX)) throw invalid();
  const parsed = userIdSchema.safeParse(text.slice(CURSOR_PREFIX.length));
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/**
 * The versions an `If-Match` header accepts: undefined for none or `*` (any current version), else the
 * listed strong entity tags. Weak tags never match (RFC 9110 strong comparison); a malformed header is a 400.
 */
export function parseIfMatch(header: string | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (trimmed === '*') return undefined;
  const versions: number[] = [];
  for (const part of trimmed.split(',')) {
    const tag = part.trim();
    const strong = /^"(\d{1,15})"$/.exec(tag);
    if (strong) versions.push(Number(strong[1]));
    else if (!/^W\/"[\x21\x23-\x7e]*"$/.test(tag) && !/^"[\x21\x23-\x7e]*"$/.test(tag)) {
      throw errors.E_VALIDATION(
        { 'If-Match': ['must be * or a list of entity tags'] },
        'If-Match is malformed.',
      );
    }
  }
  // Only tags no version can match: keep a sentinel so the update refuses with 412.
  return versions.length > 0 ? versions : [-1];
}

/** The entity tag of a version. */
export const etagOf = (version: number) => `"${version}"`;
