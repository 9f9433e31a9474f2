import { z } from 'zod';
import type { User } from '../users/user.model';

/**
 * Version of the envelope and of the cached User shape. It is part of the entry key, so a deploy that
 * changes the shape reads its own keys and never parses the previous version's entries.
 */
export const ENVELOPE_SCHEMA_VERSION = 1;

const userSchema = z.strictObject({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  bio: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  version: z.number().int().positive(),
});

const envelopeSchema = z.strictObject({
  s: z.literal(ENVELOPE_SCHEMA_VERSION),
  /** Row version; 0 for a negative entry. */
  v: z.number().int().nonnegative(),
  /** Cached at, ms since the epoch, Redis clock. */
  c: z.number().int().nonnegative(),
  /** Fresh until, ms since the epoch, Redis clock. */
  f: z.number().int().nonnegative(),
  d: userSchema.nullable(),
});

/** A cache entry as stored by fill-3.lua. */
export interface CacheEnvelope {
  /** Row version; 0 for a negative entry (no such user). */
  readonly version: number;
  readonly cachedAt: number;
  readonly freshUntil: number;
  /** The user, or undefined for a negative entry. */
  readonly user: User | undefined;
}

/**
 * Parses and validates a raw entry. Anything that does not match the schema (another version's shape,
 * corruption, a hand-written value) is undefined: the caller treats it as a miss and replaces it.
 */
export function decodeEnvelope(raw: string): CacheEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = envelopeSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const { v, c, f, d } = parsed.data;
  if ((d === null) !== (v === 0) || (d !== null && d.version !== v)) return undefined;
  return { version: v, cachedAt: c, freshUntil: f, user: d ?? undefined };
}

/** The data part handed to fill-3.lua, which wraps it in the envelope with Redis-clock timestamps. */
export function encodeEnvelopeData(user: User | undefined): string {
  if (!user) return 'null';
  const { id, email, name, bio, createdAt, updatedAt, version } = user;
  return JSON.stringify({ id, email, name, bio, createdAt, updatedAt, version });
}
