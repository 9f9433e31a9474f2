import { webcrypto } from 'node:crypto';

/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2 requires ≥ 256 bits). */
export const MIN_IDENTITY_KEY_BYTES = 32;

/** A signing key as config provides it: a string (used as UTF-8 bytes) or raw bytes. */
export type IdentityKey = string | Uint8Array;

/** Checks the key length (the message never contains the key) and imports it once as a non-extractable key. */
export function importIdentityKey(key: IdentityKey, usage: 'sign' | 'verify'): Promise<webcrypto.CryptoKey> {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  if (bytes.byteLength < MIN_IDENTITY_KEY_BYTES) {
    throw new RangeError(
      `identity key must be at least ${MIN_IDENTITY_KEY_BYTES} bytes, got ${bytes.byteLength}`,
    );
  }
  return webcrypto.subtle.importKey('raw', new Uint8Array(bytes), { name: 'HMAC', hash: 'SHA-256' }, false, [
    usage,
  ]);
}
