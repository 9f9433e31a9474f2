/** RFC 3986 §2.3 unreserved characters (ALPHA / DIGIT / "-" / "." / "_" / "~"), by char code. */
const UNRESERVED = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~')
  UNRESERVED[c.charCodeAt(0)] = 1;

const SLASH = 47;
const DOT = 46;

/**
 * True when `path` (the request target up to `?`) is the one spelling the gateway forwards: it starts
 * with `/`, has no empty segment (no `//`, no trailing `/` except the root), no `.` or `..` segment, and
 * only unreserved characters, so no percent-encoding, `;` parameters, `#`, `\` or other delimiters. Every
 * public path (fixed words, UUIDs, base64url session ids) is written this way; any other spelling of it
 * could be read differently by the policy matcher, the route table and a service's router, so the gateway
 * answers it 404 instead of guessing which resource it meant. One pass, no allocation.
 */
export function isCanonicalPath(path: string): boolean {
  if (path.charCodeAt(0) !== SLASH) return false;
  if (path.length === 1) return true;
  let segmentStart = 1;
  for (let i = 1; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : SLASH;
    if (c === SLASH) {
      const length = i - segmentStart;
      if (length === 0) return false;
      if (
        length <= 2 &&
        path.charCodeAt(segmentStart) === DOT &&
        (length === 1 || path.charCodeAt(segmentStart + 1) === DOT)
      ) {
        return false;
      }
      segmentStart = i + 1;
    } else if (c > 127 || UNRESERVED[c] === 0) {
      return false;
    }
  }
  return true;
}
