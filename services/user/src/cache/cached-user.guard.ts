import type { User } from '../users/user.model';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const USER_KEYS = 7;

/**
 * The cache's check of a cached User (`@redwire/cache` guard). Hand-written rather than a zod schema: it
 * runs on every cache hit, where zod cost 1.9 µs against 0.7 µs for JSON.parse itself (README
 * "Measurements"). It checks what a schema would: the exact key set, types, id and timestamp formats, and
 * that the user's version is the entry's.
 */
export function isCachedUser(d: unknown, version: number): d is User {
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
