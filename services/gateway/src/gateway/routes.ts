import type { Upstream } from '../proxy/reverse-proxy';
import { isCanonicalPath } from './canonical-path';

/** Where a public path goes. */
export interface Route {
  readonly upstream: Upstream;
  /** Metrics label: a bounded pattern, never the raw path. */
  readonly label: string;
  /**
   * An invalid, expired or revoked token proceeds as anonymous instead of 401: logging out must clear a
   * stale cookie, and a stale cookie must not block logging in again (docs/api.md).
   */
  readonly anonymousOnInvalidToken: boolean;
}

const ANONYMOUS_ON_INVALID = new Set(['/auth/login', '/auth/register', '/auth/logout']);

/**
 * The public route table: `/users[/...]` → user, `/auth/...` → auth; nothing else is exposed. Only the
 * canonical spelling of a path is routed (see isCanonicalPath), so the policies, the exact-path rules here
 * and the services' strict, case-sensitive routers all read the same path.
 */
export class RouteTable {
  readonly #user: Upstream;
  readonly #auth: Upstream;

  constructor(upstreams: { readonly user: Upstream; readonly auth: Upstream }) {
    this.#user = upstreams.user;
    this.#auth = upstreams.auth;
  }

  match(path: string): Route | undefined {
    if (!isCanonicalPath(path)) return undefined;
    if (path === '/users' || path.startsWith('/users/')) {
      return { upstream: this.#user, label: '/users/*', anonymousOnInvalidToken: false };
    }
    if (path.startsWith('/auth/')) {
      return {
        upstream: this.#auth,
        label: '/auth/*',
        anonymousOnInvalidToken: ANONYMOUS_ON_INVALID.has(path),
      };
    }
    return undefined;
  }
}
