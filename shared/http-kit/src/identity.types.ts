import { z } from 'zod';

/** Header carrying the signed identity from the gateway (or a calling service) to a service. */
export const IDENTITY_HEADER = 'X-Redwire-Identity';

/** JWS `typ` of identity tokens, so no other token signed with the same key passes as one. */
export const IDENTITY_TOKEN_TYPE = 'redwire-identity+jwt';

/** Services that sign or receive identity tokens; a token's `aud` is one of them. */
export type ServiceName = 'gateway' | 'user' | 'auth';
export const SERVICE_NAMES = ['gateway', 'user', 'auth'] as const satisfies readonly ServiceName[];

/** Account tiers (docs/api.md). */
export type Tier = 'free' | 'pro';

/** A signed-in user, as the gateway established it from the session. */
export interface UserIdentity {
  /** User id. */
  readonly sub: string;
  readonly role: 'user' | 'admin';
  readonly tier: Tier;
  /** Public session id. */
  readonly sid: string;
}

/** A service calling another service on its own behalf (e.g. auth → user on registration). */
export interface ServiceIdentity {
  readonly sub: `service:${ServiceName}`;
  readonly role: 'service';
  readonly tier: null;
  readonly sid: null;
}

/** Who is calling: a user or a service. */
export type Identity = UserIdentity | ServiceIdentity;

/** An identity whose token passed verification, with its registered claims. */
export type VerifiedIdentity = Identity & {
  /** The service the token was issued for. */
  readonly aud: ServiceName;
  /** Issued at (seconds since the epoch). */
  readonly iat: number;
  /** Expiry (seconds since the epoch). */
  readonly exp: number;
};

/** The identity of `service` for service-to-service calls. */
export function serviceIdentity(service: ServiceName): ServiceIdentity {
  return { sub: `service:${service}`, role: 'service', tier: null, sid: null };
}

const registered = {
  aud: z.enum(SERVICE_NAMES),
  iat: z.number().int().nonnegative(),
  exp: z.number().int().positive(),
};

/** Validates a verified token's payload; anything else in a correctly signed token is still rejected. */
export const identityClaimsSchema = z.union([
  z.object({
    sub: z.string().min(1).max(128),
    role: z.enum(['user', 'admin']),
    tier: z.enum(['free', 'pro']),
    sid: z.string().min(1).max(128),
    ...registered,
  }),
  z.object({
    sub: z.enum(SERVICE_NAMES.map((s) => `service:${s}` as const) as [`service:${ServiceName}`]),
    role: z.literal('service'),
    tier: z.null(),
    sid: z.null(),
    ...registered,
  }),
]);
