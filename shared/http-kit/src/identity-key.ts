import { hkdfSync, webcrypto } from 'node:crypto';

/** HS256 keys shorter than the hash output weaken the MAC (RFC 7518 §3.2 requires ≥ 256 bits). */
export const MIN_IDENTITY_KEY_BYTES = 32;

/** A signing key as config provides it: a string (used as UTF-8 bytes) or raw bytes. */
export type IdentityKey = string | Uint8Array;

/**
 * HKDF `info` labels of the keys derived from `IDENTITY_SIGNING_KEY`. The configured secret is never used
 * as a key itself: each use gets its own derived key, so a weakness or leak in one use (a MAC oracle, a
 * key logged by a library) says nothing about another.
 */
export const KEY_LABELS = {
  /** The HS256 key of `X-Redwire-Identity` tokens (signer and verifier). */
  identityToken: 'redwire identity-token',
  /** The HMAC key auth uses to turn login back-off subjects (emails, addresses) into Redis keys. */
  loginThrottle: 'redwire-auth login-throttle',
} as const;

function bytesOf(key: IdentityKey): Uint8Array {
  const bytes = typeof key === 'string' ? new TextEncoder().encode(key) : key;
  if (bytes.byteLength < MIN_IDENTITY_KEY_BYTES) {
    // The message never contains the key.
    throw new RangeError(
      `identity key must be at least ${MIN_IDENTITY_KEY_BYTES} bytes, got ${bytes.byteLength}`,
    );
  }
  return bytes;
}

/**
 * A 32-byte key for one use of the configured secret: HKDF-SHA-256 (RFC 5869) with an empty salt (the
 * secret is already uniformly random when generated as documented) and `label` as `info`.
 */
export function deriveKey(secret: IdentityKey, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', bytesOf(secret), new Uint8Array(0), label, 32));
}

/**
 * Checks the key length, derives the identity-token key ({@link KEY_LABELS}) and imports it once as a
 * non-extractable HMAC key.
 */
export function importIdentityKey(key: IdentityKey, usage: 'sign' | 'verify'): Promise<webcrypto.CryptoKey> {
  const derived = deriveKey(key, KEY_LABELS.identityToken);
  return webcrypto.subtle.importKey(
    'raw',
    new Uint8Array(derived),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  );
}
