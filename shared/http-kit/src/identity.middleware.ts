import type { Request, RequestHandler, Response } from 'express';
import { errors } from './errors';
import type { ServiceName, VerifiedIdentity } from './identity.types';
import type { IdentityVerifier } from './identity-verifier';

function tokenOf(req: Request): string | undefined {
  const value = req.headers['x-redwire-identity'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The caller's verified identity, or `null` for an anonymous request (or when no identity middleware ran,
 * which is treated as anonymous: least privilege).
 */
export function getIdentity(res: Response): VerifiedIdentity | null {
  const identity: unknown = res.locals.identity;
  return identity && typeof identity === 'object' ? (identity as VerifiedIdentity) : null;
}

/**
 * Requires a valid `X-Redwire-Identity`: missing, expired, badly signed, tampered or wrong-audience tokens
 * are a 401 `E_UNAUTHENTICATED`. The identity is stored in `res.locals.identity` ({@link getIdentity}).
 */
export function requireIdentity(verifier: IdentityVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = tokenOf(req);
    if (token === undefined) throw errors.E_UNAUTHENTICATED();
    res.locals.identity = await verifier.verify(token);
    next();
  };
}

/**
 * Anonymous when the header is absent (`getIdentity` returns null); a present but invalid token is still a
 * 401 — never silently served as anonymous.
 */
export function optionalIdentity(verifier: IdentityVerifier): RequestHandler {
  return async (req, res, next) => {
    const token = tokenOf(req);
    res.locals.identity = token === undefined ? null : await verifier.verify(token);
    next();
  };
}

/** Options of {@link requireServiceIdentity}. */
export interface RequireServiceIdentityOptions {
  /**
   * Services allowed to call; others get 403.
   * @default any service
   */
  readonly services?: readonly ServiceName[];
}

/**
 * For internal endpoints: like {@link requireIdentity}, then 403 `E_FORBIDDEN` unless the caller is a
 * service (and one of `services`, when given). A user identity forwarded by the gateway never passes.
 */
export function requireServiceIdentity(
  verifier: IdentityVerifier,
  options: RequireServiceIdentityOptions = {},
): RequestHandler {
  const allowed = options.services ? new Set(options.services.map((s) => `service:${s}`)) : undefined;
  return async (req, res, next) => {
    const token = tokenOf(req);
    if (token === undefined) throw errors.E_UNAUTHENTICATED();
    const identity = await verifier.verify(token);
    if (identity.role !== 'service' || (allowed && !allowed.has(identity.sub))) throw errors.E_FORBIDDEN();
    res.locals.identity = identity;
    next();
  };
}

/** Throws 401 when anonymous and 403 unless the caller is `userId` or an admin (docs/api.md "self or admin"). */
export function assertSelfOrAdmin(identity: VerifiedIdentity | null, userId: string): void {
  if (!identity) throw errors.E_UNAUTHENTICATED();
  if (identity.role !== 'admin' && !(identity.role !== 'service' && identity.sub === userId)) {
    throw errors.E_FORBIDDEN();
  }
}
