import type { IncomingMessage } from 'node:http';
import { type AppError, errors } from '@redwire/http-kit';

/** Options of {@link inspectFraming}. */
export interface FramingOptions {
  /** Most header fields a request may carry (Node silently drops those past its own count). */
  readonly maxHeadersCount: number;
  /** Largest body, by its Content-Length, before it is read. */
  readonly maxBodyBytes: number;
}

/** How a request's body is framed, once the gateway has accepted the framing. */
export interface Framing {
  /** The request has a body to read: a Content-Length above 0, or chunked. */
  readonly hasBody: boolean;
  /**
   * Header names (lower case) the client listed in `Connection`, other than the `close`/`keep-alive`
   * options: hop-by-hop by the client's word, so never forwarded.
   */
  readonly connectionListed: ReadonlySet<string> | undefined;
}

/** Methods whose request content has no meaning (RFC 9110 §9.3): a body on them is refused. */
const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'TRACE']);

/**
 * Header fields a client may not declare hop-by-hop: framing (the gateway frames the upstream request
 * itself), and everything a service or the gateway reads as identity, origin or correlation. Removing one
 * of these on the client's say-so would make the gateway and a service disagree about the request.
 */
const PROTECTED = new Set([
  'content-length',
  'transfer-encoding',
  'host',
  'upgrade',
  'authorization',
  'cookie',
  'forwarded',
  'x-request-id',
  'x-real-ip',
  'traceparent',
  'tracestate',
  'baggage',
]);
const PROTECTED_PREFIXES = ['x-forwarded-', 'x-redwire-'];
const CONNECTION_OPTIONS = new Set(['close', 'keep-alive']);

const CLOSE = { headers: { Connection: 'close' } };
const refuse = (detail: string): AppError => errors.E_MALFORMED_REQUEST(detail, CLOSE);

/**
 * Decides whether the gateway accepts a request's framing, from one pass over `req.rawHeaders` (Node's
 * `req.headers` keeps the first of some repeated fields and joins others, so it cannot show repeats).
 * Node's strict parser has already refused what it knows to be ambiguous (Content-Length with
 * Transfer-Encoding, repeated or listed Content-Length, Transfer-Encoding not ending in chunked, obs-fold,
 * bare LF); this refuses what it lets through and the gateway will not forward: a Transfer-Encoding other
 * than exactly `chunked`, Transfer-Encoding on HTTP/1.0, no or several Host fields, several Authorization
 * fields, a protected field named in `Connection`, a body on GET/HEAD/TRACE, more header fields than
 * `maxHeadersCount`. Returns the error to answer (400, or 413/431) with `Connection: close`.
 */
export function inspectFraming(req: IncomingMessage, options: FramingOptions): Framing | AppError {
  const raw = req.rawHeaders;
  if (raw.length > options.maxHeadersCount * 2) {
    return errors.E_HEADERS_TOO_LARGE('The request has too many header fields.', CLOSE);
  }
  let hosts = 0;
  let authorizations = 0;
  let contentLengths = 0;
  let contentLength = '';
  let transferEncodings = 0;
  let transferEncoding = '';
  let listed: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Only five names matter here: compare lengths first so most fields cost no lower-casing.
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          for (const part of (raw[i + 1] as string).split(',')) {
            const token = part.trim().toLowerCase();
            if (token === '' || CONNECTION_OPTIONS.has(token)) continue;
            if (PROTECTED.has(token) || PROTECTED_PREFIXES.some((p) => token.startsWith(p))) {
              return refuse(`Connection may not name ${token}.`);
            }
            listed ??= new Set();
            listed.add(token);
          }
        }
        break;
      case 13:
        if (name.toLowerCase() === 'authorization') authorizations++;
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          contentLengths++;
          contentLength = raw[i + 1] as string;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') {
          transferEncodings++;
          transferEncoding = raw[i + 1] as string;
        }
        break;
    }
  }
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1)
    return refuse('Only HTTP/1.0 and HTTP/1.1 are served.');
  if (hosts > 1 || (hosts === 0 && req.httpVersionMinor === 1))
    return refuse('Exactly one Host field is required.');
  if (authorizations > 1) return refuse('At most one Authorization field is allowed.');
  if (contentLengths > 1 || (contentLengths === 1 && transferEncodings > 0)) {
    return refuse('Content-Length must appear at most once, and never with Transfer-Encoding.');
  }
  const chunked = transferEncodings > 0;
  if (chunked) {
    if (transferEncodings > 1 || transferEncoding !== 'chunked') {
      return refuse('The only Transfer-Encoding accepted is a single "chunked".');
    }
    // RFC 9112 §6.1: HTTP/1.0 has no chunked framing, so the message framing is faulty.
    if (req.httpVersionMinor === 0) return refuse('Transfer-Encoding is not allowed in HTTP/1.0.');
  }
  // Node's parser accepts only digits here, so Number() is exact.
  const length = contentLengths === 1 ? Number(contentLength) : 0;
  const hasBody = chunked || length > 0;
  if (hasBody && BODYLESS_METHODS.has(req.method as string)) {
    return refuse(`A ${req.method} request may not carry a body.`);
  }
  if (length > options.maxBodyBytes) return errors.E_PAYLOAD_TOO_LARGE(undefined, CLOSE);
  return { hasBody, connectionListed: listed };
}
