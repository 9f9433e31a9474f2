import type { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { IDENTITY_TOKEN_TYPE, type Identity, type ServiceName, serviceIdentity } from './identity.types';
import { type IdentityKey, importIdentityKey } from './identity-key';

/** Longest lifetime DESIGN.md allows for an identity token. */
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
  }

  /** A token asserting `identity` to the service `audience`. */
  async sign(identity: Identity, audience: ServiceName): Promise<string> {
    const iat = Math.floor(this.#now() / 1000);
    return new SignJWT({ role: identity.role, tier: identity.tier, sid: identity.sid })
      .setProtectedHeader({ alg: 'HS256', typ: IDENTITY_TOKEN_TYPE })
      .setSubject(identity.sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttlSeconds)
      .sign(await this.#key);
  }

  /** A token for a call from service `self` to service `audience` (subject `service:<self>`, role `service`). */
  signService(self: ServiceName, audience: ServiceName): Promise<string> {
    return this.sign(serviceIdentity(self), audience);
  }
}
