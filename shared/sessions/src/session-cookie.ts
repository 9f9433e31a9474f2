import type { ServerResponse } from 'node:http';
import { INSECURE_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME } from './request-token';

/** Options of {@link SessionCookie}. */
export interface SessionCookieOptions {
  /**
   * Send the cookie only over https (`Secure`), under the `__Host-` name. Browsers treat http://localhost as
   * secure, so only plain http on another host needs false, and the name becomes `sid`. @default true
   */
  secure?: boolean;
}

/**
 * The session cookie: `__Host-sid=<token>; Path=/; HttpOnly; Secure; SameSite=Lax`, without Domain or
 * expiry (a browser-session cookie; Redis enforces the idle and absolute timeouts). Appends to any
 * `Set-Cookie` already on the response. Works on a `node:http` response and so on an Express one.
 */
export class SessionCookie {
  /** `__Host-sid`, or `sid` with `secure: false`; give it to the reader's middleware as `cookieName`. */
  readonly name: string;
  readonly #attributes: string;

  constructor(options: SessionCookieOptions = {}) {
    const secure = options.secure ?? true;
    this.name = secure ? SESSION_COOKIE_NAME : INSECURE_SESSION_COOKIE_NAME;
    this.#attributes = `Path=/; HttpOnly${secure ? '; Secure' : ''}; SameSite=Lax`;
  }

  /** The `Set-Cookie` value that hands `token` to the browser. */
  serialize(token: string): string {
    // Tokens are base64url plus '.': no character needs encoding in a cookie value.
    return `${this.name}=${token}; ${this.#attributes}`;
  }

  /** The `Set-Cookie` value that makes the browser drop the cookie. */
  serializeCleared(): string {
    return `${this.name}=; ${this.#attributes.replace('Path=/', 'Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT')}`;
  }

  /** Sets the cookie on `res` (after a successful `SessionStore.create`). */
  set(res: ServerResponse, token: string): void {
    res.appendHeader('Set-Cookie', this.serialize(token));
  }

  /** Clears the cookie on `res` (sign-out). */
  clear(res: ServerResponse): void {
    res.appendHeader('Set-Cookie', this.serializeCleared());
  }
}
