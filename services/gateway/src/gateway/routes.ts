import type { Upstream } from '../proxy/reverse-proxy';

/** Where a public path goes. */
export interface Route {
  readonly upstream: Upstream;
  /** Metrics label: a bounded pattern, never the raw path. */
  readonly label: string;
  /**
   * An invalid, expired or revoked token proceeds as anonymous instead of 401: logging out must clear a
   * stale cookie, and a stale cookie must not block logging in again (API.md).
   */
  readonly anonymousOnInvalidToken: boolean;
}

const ANONYMOUS_ON_INVALID = new Set(['/auth/login', '/auth/register', '/auth/logout']);

/** Dot segments, backslashes and encoded separators never reach a service (they could dodge a route match). */
const UNSAFE_PATH = /(^|\/)\.\.?(\/|$)|\\|%2e|%2f|%5c|\/\//i;

/** The public route table: `/users[/...]` → user, `/auth/...` → auth; nothing else is exposed. */
export class RouteTable {
  readonly #user: Upstream;
  readonly #auth: Upstream;

  constructor(upstreams: { readonly user: Upstream; readonly auth: Upstream }) {
    this.#user = upstreams.user;
    this.#auth = upstreams.auth;
  }

  match(path: string): Route | undefined {
    if (UNSAFE_PATH.test(path)) return undefined;
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
