import { createHash } from 'node:crypto';
import { encodeKeyPart } from '@redwire/redis-kit';

/** Longest identity kept as written (after encoding); longer ones are stored by their SHA-256. */
const MAX_IDENTITY_LENGTH = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The prefix: names separated by `:`, no hash-tag braces, nothing a caller's input could forge. */
const PREFIX = /^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+)*$/;

/** True when `prefix` can stand in front of the limiter's keys. */
export function isValidPrefix(prefix: string): boolean {
  return PREFIX.test(prefix) && prefix.length <= 128;
}

/**
 * The limiter's one key builder. Every policy's state for one identity lives at
 * `<prefix>:{<identity>}:<policy>`: no timestamp in it (windows live inside the value), and the identity is
 * the hash tag, so one identity's keys share a Redis Cluster slot and are decided in one script call.
 *
 * The identity is the caller's key, encoded so it can neither forge the key's structure nor choose a slot
 * (redis-kit's `encodeKeyPart`: `%`, `:`, braces, whitespace and control characters are percent-encoded).
 * Two shapes are stored shorter, each behind a marker that encoding can never produce (`%` followed by a
 * letter that is not a hex digit), so no caller-chosen key can land on another one's state:
 * - a UUID becomes `%u` + its 16 bytes in base64url (24 characters instead of 36), which keeps a GCRA key
 *   of a UUID identity within 48 characters, the size at which it costs at most 104 bytes of Redis memory;
 * - anything longer than 64 characters once encoded becomes `%h` + its SHA-256 in base64url, so a
 *   client-chosen key (a header) cannot make Redis keys of arbitrary size.
 */
export class RateLimitKeys {
  constructor(readonly prefix: string) {}

  /** The identity part of a key for the caller's `key`; throws a TypeError for a non-string or empty key. */
  identity(key: string): string {
    if (typeof key !== 'string' || key.length === 0) {
      throw new TypeError('a rate-limit key must be a non-empty string');
    }
    if (key.length === 36 && UUID.test(key)) {
      return `%u${Buffer.from(key.replaceAll('-', ''), 'hex').toString('base64url')}`;
    }
    if (key.length <= MAX_IDENTITY_LENGTH) {
      const encoded = encodeKeyPart(key);
      if (encoded.length <= MAX_IDENTITY_LENGTH) return encoded;
    }
    return `%h${createHash('sha256').update(key).digest('base64url')}`;
  }

  /** The Redis key of one policy's state for one identity (from {@link identity}). */
  state(identity: string, policy: string): string {
    return `${this.prefix}:{${identity}}:${policy}`;
  }
}
