import type { Request } from 'express';

/** The route label of requests no route matched (404s, proxied prefixes without a resolver). */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * The Express route pattern that served `req` (`/users/:id`, including the mount path of nested
 * routers), never the raw URL: ids in URLs would give every user its own time series.
 */
export function expressRoute(req: Request): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route?.path === undefined) return undefined;
  const path = typeof route.path === 'string' ? route.path : String(route.path);
  const full = `${req.baseUrl ?? ''}${path}`;
  return full === '' ? '/' : full;
}
