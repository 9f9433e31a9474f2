/** Cookie name on https (and on http://localhost, which browsers treat as secure). */
export const SESSION_COOKIE_NAME = '__Host-sid';

/** Cookie name when the `Secure` attribute (and so the `__Host-` prefix) is switched off for plain http. */
export const INSECURE_SESSION_COOKIE_NAME = 'sid';

/** Where a request's session token came from. */
export interface RequestToken {
  token: string;
  source: 'bearer' | 'cookie';
}

/** The request headers the token can come from (Node's `IncomingHttpHeaders` fits). */
export interface TokenHeaders {
  authorization?: string | undefined;
  cookie?: string | undefined;
}

const MAX_HEADER_SCAN = 8192;

/**
 * Finds the session token: `Authorization: Bearer <token>` first, then the session cookie. Returns null
 * when the request carries neither; the token itself is not checked here (`SessionReader.validate` does).
 * Any other Authorization scheme is ignored, as is a cookie header too large to be one we set.
 */
export function tokenFromHeaders(
  headers: TokenHeaders,
  cookieName = SESSION_COOKIE_NAME,
): RequestToken | null {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const match = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(auth.slice(0, MAX_HEADER_SCAN));
    if (match?.[1]) return { token: match[1], source: 'bearer' };
  }
  const cookie = headers.cookie;
  if (cookie === undefined || cookie.length > MAX_HEADER_SCAN) return null;
  for (const pair of cookie.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== cookieName) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    // The first cookie of that name wins: with the __Host- prefix no other origin can have planted it.
    return value ? { token: value, source: 'cookie' } : null;
  }
  return null;
}
