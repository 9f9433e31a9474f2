import type { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { ExpiringCache } from './expiring-cache';
import { IDENTITY_TOKEN_TYPE, type Identity, type ServiceName, serviceIdentity } from './identity.types';
import { type IdentityKey, importIdentityKey } from './identity-key';

/** Longest lifetime docs/design.md allows for an identity token. */
export const MAX_IDENTITY_TTL_SECONDS = 30;

/** Options of {@link IdentitySigner}. */
export interface IdentitySignerOptions {
  /** `IDENTITY_SIGNING_KEY` from config; at least 32 bytes. */
  readonly key: IdentityKey;
  /**
   * Token lifetime in seconds, 1–30.
   * @default 30
   */
  readonly ttlSeconds?: number;
  /**
   * How many tokens to keep for reuse. A token is reused while less than half its lifetime has passed, so a
   * busy session costs one signature per ~15 s instead of one per request (WebCrypto HMAC through jose
   * costs ~40 µs of CPU). 0 disables reuse.
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
 * Signs `X-Redwire-Identity` tokens: compact JWS, HS256, claims `{sub, role, tier, sid, aud, iat, exp}`.
 * The gateway signs one per proxied request for the target service; a service signs its own identity
 * (`signService`) when it calls another service.
 */
export class IdentitySigner {
  readonly #key: Promise<webcrypto.CryptoKey>;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  readonly #cache: ExpiringCache<string>;

  constructor(options: IdentitySignerOptions) {
    const ttl = options.ttlSeconds ?? MAX_IDENTITY_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_IDENTITY_TTL_SECONDS) {
      throw new RangeError(
        `IdentitySigner: ttlSeconds must be an integer from 1 to ${MAX_IDENTITY_TTL_SECONDS}`,
      );
    }
    this.#key = importIdentityKey(options.key, 'sign');
    this.#key.catch(() => {}); // surfaced by sign(); not an unhandled rejection in between
    this.#ttlSeconds = ttl;
    this.#now = options.now ?? Date.now;
    this.#cache = new ExpiringCache(options.cacheSize ?? 10_000);
  }

  /** A token asserting `identity` to the service `audience`. */
  async sign(identity: Identity, audience: ServiceName): Promise<string> {
    const nowMs = this.#now();
    const cacheKey = JSON.stringify([audience, identity.sub, identity.role, identity.tier, identity.sid]);
    const cached = this.#cache.get(cacheKey, nowMs);
    if (cached !== undefined) return cached;
    const iat = Math.floor(nowMs / 1000);
    const token = await new SignJWT({ role: identity.role, tier: identity.tier, sid: identity.sid })
      .setProtectedHeader({ alg: 'HS256', typ: IDENTITY_TOKEN_TYPE })
      .setSubject(identity.sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttlSeconds)
      .sign(await this.#key);
    this.#cache.set(cacheKey, token, (iat + this.#ttlSeconds / 2) * 1000);
    return token;
  }

  /** A token for a call from service `self` to service `audience` (subject `service:<self>`, role `service`). */
  signService(self: ServiceName, audience: ServiceName): Promise<string> {
    return this.sign(serviceIdentity(self), audience);
  }
}
