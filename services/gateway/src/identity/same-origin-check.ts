import type { IncomingHttpHeaders } from 'node:http';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Options of {@link SameOriginCheck}. */
export interface SameOriginOptions {
  /** Origins besides the gateway's own that may send cookie-authenticated writes (a CORS allow-list). @default [] */
  readonly allowedOrigins?: readonly string[];
}

/**
 * docs/api.md's CSRF rule for cookie-authenticated unsafe requests: `Sec-Fetch-Site: same-origin`, or else an
 * `Origin` equal to the gateway's own origin (or an allowed one). A `Sec-Fetch-Site` other than
 * same-origin refuses even when `Origin` matches, and a request with neither header is refused. Bearer
 * requests are exempt (a browser never attaches them on its own).
 */
export class SameOriginCheck {
  readonly #allowed: ReadonlySet<string>;

  constructor(options: SameOriginOptions = {}) {
    this.#allowed = new Set((options.allowedOrigins ?? []).map((o) => new URL(o).origin));
  }

  /** True when the request may proceed. `ownOrigin` is `<scheme>://<host>` as the client addressed the gateway. */
  passes(method: string, headers: IncomingHttpHeaders, ownOrigin: string | undefined): boolean {
    if (SAFE_METHODS.has(method)) return true;
    const site = headers['sec-fetch-site'];
    if (site !== undefined) return site === 'same-origin';
    const origin = headers.origin;
    if (origin === undefined || origin === 'null') return false;
    return origin === ownOrigin || this.#allowed.has(origin);
  }
}
