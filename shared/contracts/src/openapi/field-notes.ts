import type { z } from 'zod';
import {
  bioSchema,
  cursorSchema,
  emailSchema,
  LIMITS,
  nameSchema,
  newPasswordSchema,
  pageLimitSchema,
  presentedPasswordSchema,
  sessionIdSchema,
  userIdSchema,
} from '../fields';
import { accountPatchBody, patchUserBody } from '../route-catalogue';

/** JSON Schema keywords merged into a request schema's generated description. */
export type SchemaNote = Readonly<Record<string, unknown>>;

// What the generated JSON Schema cannot see: zod's refinements (code-point lengths, control characters,
// "at least one field") are functions, so `z.toJSONSchema` leaves them out. These notes put them back where
// JSON Schema can say it exactly (its lengths count code points, as the contract does) and in words where it
// cannot (e.g. "after trimming"). The request schemas stay the ones the services parse with; only the
// document's description of them is added to. A rule change here without one in fields.ts is caught by the
// contract test only for responses, so keep each note next to the rule it mirrors (fields.ts).
export const FIELD_NOTES: ReadonlyMap<z.ZodType, SchemaNote> = new Map<z.ZodType, SchemaNote>([
  [userIdSchema, { description: 'A user id: a UUID (servers generate v7).' }],
  [
    emailSchema,
    {
      description: `Trimmed and lower-cased; a valid address of at most ${LIMITS.email} characters.`,
      examples: ['ada@example.com'],
    },
  ],
  [
    nameSchema,
    {
      description: `${LIMITS.nameMin}–${LIMITS.nameMax} characters after trimming; no control characters.`,
      examples: ['Ada'],
    },
  ],
  [
    bioSchema,
    {
      maxLength: LIMITS.bioMax,
      description: `0–${LIMITS.bioMax} characters; tabs and line breaks allowed, other control characters not.`,
    },
  ],
  [
    newPasswordSchema,
    {
      minLength: LIMITS.passwordMin,
      maxLength: LIMITS.passwordMax,
      description: `${LIMITS.passwordMin}–${LIMITS.passwordMax} characters, never truncated.`,
    },
  ],
  [
    presentedPasswordSchema,
    { minLength: 1, maxLength: LIMITS.passwordMax, description: 'The password as registered.' },
  ],
  [
    pageLimitSchema,
    {
      description: `Page size: an integer ${LIMITS.pageMin}–${LIMITS.pageMax} (default ${LIMITS.pageDefault}).`,
      examples: ['20'],
    },
  ],
  [cursorSchema, { description: 'The `nextCursor` of the previous page; anything else is a 400.' }],
  [sessionIdSchema, { description: 'A public session id (`session.id` of login or `/auth/sessions`).' }],
  [patchUserBody, { minProperties: 1, description: 'At least one of `name`, `bio`.' }],
  [accountPatchBody, { minProperties: 1, description: 'At least one of `role`, `tier`, `status`.' }],
]);
