import { type Express, Router } from 'express';

/**
 * Express matches paths case-insensitively and ignores a trailing slash by default, so `/auth/Login/`
 * would reach the handler of `/auth/login` while the gateway's policies, which match exact paths, see a
 * different path. Strict, case-sensitive routing makes a service route exactly the spelling the gateway
 * decided on (the gateway forwards only canonical paths; see its README).
 */
export const STRICT_ROUTING = { strict: true, caseSensitive: true } as const;

/** A Router with {@link STRICT_ROUTING}. */
export function strictRouter(): Router {
  return Router(STRICT_ROUTING);
}

/** Gives an app's own routes (health, metrics) {@link STRICT_ROUTING}; call it before adding them. */
export function useStrictRouting(app: Express): void {
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
}
