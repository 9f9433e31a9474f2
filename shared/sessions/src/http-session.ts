import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionsError, isRedisUnavailableError } from '@redwire/redis-kit';
import { SESSION_COOKIE_NAME, tokenFromHeaders } from './request-token';
import type { SessionReader } from './session.reader';
import type { InvalidReason, ValidSession } from './session-types';

/** Why the middleware refused a request: no valid session (401) or one it could not check (503). */
export type SessionRefusal =
  | { readonly status: 401; readonly reason: InvalidReason | 'missing' }
  | { readonly status: 503; readonly reason: 'unavailable'; readonly cause: unknown };

/** Options of {@link httpSession} and {@link expressSession}. */
export interface SessionHttpOptions<Req extends IncomingMessage = IncomingMessage> {
  /** The cookie holding the token (a bearer `Authorization` header is read first). @default '__Host-sid' */
  readonly cookieName?: string;
  /**
   * Refuse a request without a valid session (401). With false it goes on anonymous (`sessionOf(req)` is
   * undefined); a token that cannot be checked is still a 503, never anonymous. @default true
   */
  readonly required?: boolean;
  /** Answers a refused request. @default {@link sendSessionProblem}: 401 or 503 problem+json */
  readonly onRefused?: (req: Req, res: ServerResponse, refusal: SessionRefusal) => void;
}

// Kept on the request under a symbol no other module can name (only sessionOf reads it), not in a WeakMap:
// a WeakMap entry per request (every request an ephemeron key) cost about 2 µs of garbage collection per
// request, nearly all of what the middleware added to validate() (README, "What a validation costs").
const SESSION = Symbol('@redwire/sessions session');

interface WithSession {
  [SESSION]?: ValidSession;
}

/** The session the middleware validated for `req`, or undefined (anonymous, or not checked). */
export function sessionOf(req: IncomingMessage): ValidSession | undefined {
  return (req as WithSession)[SESSION];
}

/**
 * Answers a refusal with `application/problem+json` (RFC 9457), `Cache-Control: no-store`: 401
 * `E_UNAUTHENTICATED` with `WWW-Authenticate: Bearer`, or 503 `E_UNAVAILABLE` with `Retry-After: 1`.
 */
export function sendSessionProblem(res: ServerResponse, refusal: SessionRefusal): void {
  if (res.headersSent) return void res.destroy();
  const unauthenticated = refusal.status === 401;
  const body = JSON.stringify({
    type: 'about:blank',
    title: unauthenticated ? 'Unauthorized' : 'Service Unavailable',
    status: refusal.status,
    detail: unauthenticated
      ? 'Authentication is required.'
      : 'The session could not be checked; retry shortly.',
    code: unauthenticated ? 'E_UNAUTHENTICATED' : 'E_UNAVAILABLE',
  });
  res.statusCode = refusal.status;
  if (unauthenticated) res.setHeader('WWW-Authenticate', 'Bearer');
  else res.setHeader('Retry-After', '1');
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

function checked<Req extends IncomingMessage>(options: SessionHttpOptions<Req>) {
  const issues: string[] = [];
  if (options.cookieName !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(options.cookieName))
    issues.push('cookieName: must be a cookie name (an RFC 9110 token)');
  if (options.required !== undefined && typeof options.required !== 'boolean')
    issues.push('required: must be a boolean');
  if (options.onRefused !== undefined && typeof options.onRefused !== 'function')
    issues.push('onRefused: must be a function');
  if (issues.length > 0) throw new InvalidOptionsError('session middleware', issues);
  return {
    cookieName: options.cookieName ?? SESSION_COOKIE_NAME,
    required: options.required ?? true,
    onRefused:
      options.onRefused ??
      ((_req: Req, res: ServerResponse, refusal: SessionRefusal) => sendSessionProblem(res, refusal)),
  };
}

/**
 * The check both middlewares share: true or false when it is decided without Redis (no token), else a
 * promise of it. Written with `then` rather than async/await, and not wrapped in another async function by
 * the Express middleware: it runs on every request, and each layer is one more promise and microtask.
 */
function sessionCheck<Req extends IncomingMessage>(
  reader: Pick<SessionReader, 'validate'>,
  options: SessionHttpOptions<Req>,
): (req: Req, res: ServerResponse) => boolean | Promise<boolean> {
  const o = checked(options);
  const refuse = (req: Req, res: ServerResponse, refusal: SessionRefusal) => {
    o.onRefused(req, res, refusal);
    return false;
  };
  return (req, res) => {
    const found = tokenFromHeaders(req.headers, o.cookieName);
    if (!found) return o.required ? refuse(req, res, { status: 401, reason: 'missing' }) : true;
    return reader.validate(found.token).then(
      (result) => {
        if (result.valid) {
          (req as WithSession)[SESSION] = result.session;
          return true;
        }
        return o.required ? refuse(req, res, { status: 401, reason: result.reason }) : true;
      },
      (cause: unknown) => {
        if (!isRedisUnavailableError(cause)) throw cause;
        return refuse(req, res, { status: 503, reason: 'unavailable', cause });
      },
    );
  };
}

/**
 * Session checking for a plain `node:http` handler: validates the request's token (bearer first, then the
 * cookie), remembers the session for {@link sessionOf}, answers a refusal (through `onRefused`) and
 * resolves to whether the handler should go on. Rejects only when the reader fails for another reason
 * than Redis being unreachable (an unexpected reply: a bug).
 *
 * @example
 * const signedIn = httpSession(reader);
 * http.createServer(async (req, res) => {
 *   if (!(await signedIn(req, res))) return; // 401 or 503 already sent
 *   res.end(`hello ${sessionOf(req)?.userId}`);
 * });
 */
export function httpSession<Req extends IncomingMessage = IncomingMessage>(
  reader: Pick<SessionReader, 'validate'>,
  options: SessionHttpOptions<Req> = {},
): (req: Req, res: ServerResponse) => Promise<boolean> {
  const check = sessionCheck(reader, options);
  return async (req, res) => check(req, res);
}

/**
 * The same as Express middleware (`app.use(expressSession(reader))`, or on one route): calls `next()` when
 * the request may go on (`sessionOf(req)` then holds its session), answers refusals itself, passes any
 * other failure to `next(error)`.
 */
export function expressSession<Req extends IncomingMessage = IncomingMessage>(
  reader: Pick<SessionReader, 'validate'>,
  options: SessionHttpOptions<Req> = {},
): (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void {
  const check = sessionCheck(reader, options);
  return (req, res, next) => {
    let decided: boolean | Promise<boolean>;
    try {
      decided = check(req, res);
    } catch (error) {
      return next(error);
    }
    if (typeof decided === 'boolean') {
      if (decided) next();
      return;
    }
    decided.then((goOn) => {
      if (goOn) next();
    }, next);
  };
}
