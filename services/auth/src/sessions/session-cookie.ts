import { INSECURE_SESSION_COOKIE_NAME, SESSION_COOKIE_NAME } from '@redwire/sessions';
import type { CookieOptions, Response } from 'express';

/**
 * The session cookie. By default `__Host-sid; Secure; HttpOnly; SameSite=Lax; Path=/` without Domain or
 * expiry (a browser-session cookie; the server enforces the timeouts). `secure: false` is the switch for
 * plain http on hosts other than localhost: the `__Host-` prefix requires `Secure`, so the name becomes `sid`.
 */
export class SessionCookie {
  readonly name: string;
  private readonly attributes: CookieOptions;

  constructor(options: { secure: boolean }) {
    this.name = options.secure ? SESSION_COOKIE_NAME : INSECURE_SESSION_COOKIE_NAME;
    this.attributes = { httpOnly: true, secure: options.secure, sameSite: 'lax', path: '/' };
  }

  set(res: Response, token: string): void {
    // Tokens are base64url plus '.', which encodeURIComponent (Express's default) leaves unchanged.
    res.cookie(this.name, token, this.attributes);
  }

  clear(res: Response): void {
    res.clearCookie(this.name, this.attributes);
  }
}
