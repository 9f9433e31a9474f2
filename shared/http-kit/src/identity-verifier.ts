import type { webcrypto } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { AppError } from './app-error';
import { errors } from './errors';
import { ExpiringCache } from './expiring-cache';
import {
  IDENTITY_TOKEN_TYPE,
  identityClaimsSchema,
  type ServiceName,
  type VerifiedIdentity,
} from './identity.types';
import { type IdentityKey, importIdentityKey } from './identity-key';
import { MAX_IDENTITY_TTL_SECONDS } from './identity-signer';

/** Compact identity tokens are ~300 bytes; anything far larger is not one of ours and is not parsed. */
const MAX_TOKEN_LENGTH = 4096;

/** Options of {@link IdentityVerifier}. */
export interface IdentityVerifierOptions {
  /** `IDENTITY_SIGNING_KEY` from config; at least 32 bytes. */
  readonly key: IdentityKey;
  /**
   * Keys still accepted during a rotation (tried only when the signature does not match `key`).
   * @default []
   */
  readonly previousKeys?: readonly IdentityKey[];
  /** This service: tokens for any other audience are rejected. */
  readonly audience: ServiceName;
  /**
   * Allowed clock skew between signer and verifier, in seconds.
   * @default 5
   */
  readonly clockToleranceSeconds?: number;
  /**
   * Oldest accepted `iat`, in seconds; tokens whose lifetime (`exp - iat`) exceeds it are rejected too.
   * @default 30
   */
  readonly maxAgeSeconds?: number;
  /**
   * How many verified tokens to remember until their expiry. The gateway reuses a session's token for
   * ~15 s, so repeated requests skip the WebCrypto HMAC (~40 µs of CPU); a different token string, however
   * it differs, is verified in full. 0 disables the cache.
   * @default 10000
   */
  readonly cacheSize?: number;
  /**
   * Clock in ms since the epoch (tests).
   * @default Date.now
   */
  readonly now?: () => number;
}

/**
 * Verifies `X-Redwire-Identity` tokens: algorithm pinned to HS256 (so `alg: none` and algorithm confusion
 * fail), `typ`, audience, expiry, maximum age and the claim shapes. Every failure is a 401
 * `E_UNAUTHENTICATED` carrying jose's reason as `cause` (never the token).
 */
export class IdentityVerifier {
  readonly #keys: Promise<webcrypto.CryptoKey>[];
  readonly #audience: ServiceName;
  readonly #clockTolerance: number;
  readonly #maxAge: number;
  readonly #now: () => number;
  readonly #cache: ExpiringCache<VerifiedIdentity>;

  constructor(options: IdentityVerifierOptions) {
    this.#keys = [options.key, ...(options.previousKeys ?? [])].map((k) => importIdentityKey(k, 'verify'));
    for (const key of this.#keys) key.catch(() => {}); // surfaced by verify()
    this.#audience = options.audience;
    this.#clockTolerance = options.clockToleranceSeconds ?? 5;
    this.#maxAge = options.maxAgeSeconds ?? MAX_IDENTITY_TTL_SECONDS;
    this.#now = options.now ?? Date.now;
    this.#cache = new ExpiringCache(options.cacheSize ?? 10_000);
    if (!(this.#clockTolerance >= 0 && this.#clockTolerance <= 60)) {
      throw new RangeError('IdentityVerifier: clockToleranceSeconds must be 0–60');
    }
    if (!(this.#maxAge > 0)) throw new RangeError('IdentityVerifier: maxAgeSeconds must be positive');
  }

  /** The verified identity of `token`, or a thrown 401 {@link AppError}. */
  async verify(token: string): Promise<VerifiedIdentity> {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw errors.E_UNAUTHENTICATED(undefined, { cause: new Error('identity token empty or too long') });
    }
    const nowMs = this.#now();
    const cached = this.#cache.get(token, nowMs);
    if (cached !== undefined) return cached;
    const options = {
      algorithms: ['HS256'],
      typ: IDENTITY_TOKEN_TYPE,
      audience: this.#audience,
      clockTolerance: this.#clockTolerance,
      maxTokenAge: this.#maxAge,
      requiredClaims: ['sub', 'aud', 'iat', 'exp'],
      currentDate: new Date(nowMs),
    };
    let lastError: unknown;
    for (const key of this.#keys) {
      try {
        const { payload } = await jwtVerify(token, await key, options);
        const identity = this.#claims(payload);
        // Cached only until exp (no clock tolerance), so a cached answer is never more lenient than jose's.
        this.#cache.set(token, identity, identity.exp * 1000);
        return identity;
      } catch (err) {
        if (err instanceof AppError) throw err;
        lastError = err;
        // Only a signature mismatch may succeed with an older key; any other failure is final.
        if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break;
      }
    }
    throw errors.E_UNAUTHENTICATED(undefined, { cause: lastError });
  }

  #claims(payload: unknown): VerifiedIdentity {
    const parsed = identityClaimsSchema.safeParse(payload);
    if (!parsed.success) {
      throw errors.E_UNAUTHENTICATED(undefined, { cause: new Error('identity token claims are malformed') });
    }
    const claims = parsed.data;
    if (claims.exp - claims.iat > this.#maxAge) {
      throw errors.E_UNAUTHENTICATED(undefined, {
        cause: new Error('identity token lifetime exceeds the maximum'),
      });
    }
    // Frozen: a cached identity is shared by every request presenting the same token.
    return Object.freeze(claims);
  }
}
