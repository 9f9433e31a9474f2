import type { User } from '../users/user.model';

/**
 * Version of the envelope and of the cached User shape. It is part of the entry key, so a deploy that
 * changes the shape reads its own keys and never parses the previous version's entries.
 */
export const ENVELOPE_SCHEMA_VERSION = 1;

/** A cache entry as stored by fill-3.lua. */
export interface CacheEnvelope {
  /** Row version; 0 for a negative entry (no such user). */
  readonly version: number;
  readonly cachedAt: number;
  readonly freshUntil: number;
  /** The user, or undefined for a negative entry. */
  readonly user: User | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ENVELOPE_KEYS = 5;
const USER_KEYS = 7;

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

// A hand-written guard rather than a zod schema: it runs on every cache hit, where zod cost 1.9 µs against
// 0.7 µs for JSON.parse itself (see README "Hit path"). It checks the same things: exact key sets, types,
// id and timestamp formats, and that the data's version is the envelope's.
function isUser(d: unknown, version: number): d is User {
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return false;
  const u = d as Record<string, unknown>;
  return (
    Object.keys(u).length === USER_KEYS &&
    typeof u.id === 'string' &&
    UUID.test(u.id) &&
    typeof u.email === 'string' &&
    typeof u.name === 'string' &&
    typeof u.bio === 'string' &&
    typeof u.createdAt === 'string' &&
    ISO_UTC.test(u.createdAt) &&
    typeof u.updatedAt === 'string' &&
    ISO_UTC.test(u.updatedAt) &&
    u.version === version
  );
}

/**
 * Parses and validates a raw entry `{ s, v, c, f, d }` (schema version, row version or 0 for a negative
 * entry, cached-at and fresh-until in ms of the Redis clock, the user or null). Anything else (another
 * version's shape, corruption, a hand-written value) is undefined: the caller treats it as a miss and
 * replaces it.
 */
export function decodeEnvelope(raw: string): CacheEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Object.keys(json).length !== ENVELOPE_KEYS)
    return undefined;
  const { s, v, c, f, d } = json as Record<string, unknown>;
  if (s !== ENVELOPE_SCHEMA_VERSION || !isCount(v) || !isCount(c) || !isCount(f)) return undefined;
  if (v === 0 ? d !== null : !isUser(d, v)) return undefined;
  return { version: v, cachedAt: c, freshUntil: f, user: v === 0 ? undefined : (d as User) };
}

/** The data part handed to fill-3.lua, which wraps it in the envelope with Redis-clock timestamps. */
export function encodeEnvelopeData(user: User | undefined): string {
  if (!user) return 'null';
  const { id, email, name, bio, createdAt, updatedAt, version } = user;
  return JSON.stringify({ id, email, name, bio, createdAt, updatedAt, version });
}
