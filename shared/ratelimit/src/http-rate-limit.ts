import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidOptionsError } from '@redwire/redis-kit';
import type { RateLimitDecision } from './rate-limit-decision';
import { rateLimitHeaders } from './rate-limit-headers';
import type { LimitOptions, RateLimiter, RateLimitKey } from './rate-limiter';

/** IANA problem type of a 429 caused by a rate-limit policy (draft-10). */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';
/** IANA problem type of a 503 because the limiter cannot decide and a policy refuses unchecked traffic. */
export const TEMPORARY_REDUCED_CAPACITY_TYPE =
  'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity';

/** Options of {@link httpRateLimit} and {@link expressRateLimit}. */
export interface RateLimitHttpOptions<Req extends IncomingMessage = IncomingMessage> {
  /**
   * Whom the request is about: a key for every policy, or policy name → key (see `RateLimiter.limit`);
   * `undefined` lets the request through unlimited. A key that is not a non-empty string is a programming
   * error: the node:http guard rejects, the Express middleware passes it to `next`. Required.
   */
  readonly key: (req: Req) => RateLimitKey | undefined | Promise<RateLimitKey | undefined>;
  /** Units the request spends. @default each policy's `cost` */
  readonly cost?: (req: Req) => number;
  /**
   * Answers a refused request; the draft-10 headers are already set (with `headers`). @default
   * {@link sendRateLimitProblem}: 429 `quota-exceeded`, or 503 `temporary-reduced-capacity`, problem+json
   */
  readonly onRefused?: (req: Req, res: ServerResponse, decision: RateLimitDecision) => void;
  /** Sets `RateLimit-Policy`, `RateLimit` and `RateLimit-Mode` on every answer it decided. @default true */
  readonly headers?: boolean;
}

/**
 * Answers a refused decision with `application/problem+json` (RFC 9457): 429 with the IANA
 * `quota-exceeded` type, `violated-policies` and `Retry-After` (none when waiting never helps), or 503
 * `temporary-reduced-capacity` with `Retry-After: 1` when Redis failed and a `closed` policy refuses.
 */
export function sendRateLimitProblem(res: ServerResponse, decision: RateLimitDecision): void {
  if (res.headersSent) return void res.destroy();
  const unavailable = decision.outcome === 'unavailable';
  const retryAfter = unavailable ? '1' : rateLimitHeaders(decision)['Retry-After'];
  const body = JSON.stringify({
    type: unavailable ? TEMPORARY_REDUCED_CAPACITY_TYPE : QUOTA_EXCEEDED_TYPE,
    title: unavailable
      ? 'Request cannot be satisfied due to temporary reduced capacity'
      : 'Request cannot be satisfied as assigned quota has been exceeded',
    status: unavailable ? 503 : 429,
    detail: unavailable
      ? 'Rate limiting is unavailable and this route refuses unchecked traffic.'
      : retryAfter
        ? 'Too many requests; retry after the time in Retry-After.'
        : 'This request costs more than a rate-limit policy ever allows at once.',
    code: unavailable ? 'E_UNAVAILABLE' : 'E_RATE_LIMITED',
    'violated-policies': decision.violated,
  });
  res.statusCode = unavailable ? 503 : 429;
  if (retryAfter) res.setHeader('Retry-After', retryAfter);
  res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

function checked<Req extends IncomingMessage>(
  options: RateLimitHttpOptions<Req>,
): Required<Omit<RateLimitHttpOptions<Req>, 'cost'>> & Pick<RateLimitHttpOptions<Req>, 'cost'> {
  const issues: string[] = [];
  if (typeof options?.key !== 'function') issues.push('key: must be a function of the request');
  if (options?.cost !== undefined && typeof options.cost !== 'function')
    issues.push('cost: must be a function');
  if (options?.onRefused !== undefined && typeof options.onRefused !== 'function')
    issues.push('onRefused: must be a function');
  if (options?.headers !== undefined && typeof options.headers !== 'boolean')
    issues.push('headers: must be a boolean');
  if (issues.length > 0) throw new InvalidOptionsError('rate-limit middleware', issues);
  return {
    key: options.key,
    cost: options.cost,
    onRefused: options.onRefused ?? ((_req, res, decision) => sendRateLimitProblem(res, decision)),
    headers: options.headers ?? true,
  };
}

/**
 * Rate limiting for a plain `node:http` handler: decides the request, sets the draft-10 headers, answers a
 * refusal (through `onRefused`) and resolves to whether the handler should go on.
 *
 * @example
 * const limited = httpRateLimit(limiter, { key: (req) => req.headers['x-api-key']?.toString() });
 * http.createServer(async (req, res) => {
 *   if (!(await limited(req, res))) return;   // 429 or 503 already sent
 *   res.end('hello');
 * });
 */
export function httpRateLimit<Req extends IncomingMessage = IncomingMessage>(
  limiter: RateLimiter,
  options: RateLimitHttpOptions<Req>,
): (req: Req, res: ServerResponse) => Promise<boolean> {
  const o = checked(options);
  return async (req, res) => {
    const key = await o.key(req);
    if (key === undefined) return true;
    const limit: LimitOptions | undefined = o.cost ? { cost: o.cost(req) } : undefined;
    const decision = await limiter.limit(key, limit);
    if (o.headers) {
      const headers = rateLimitHeaders(decision);
      if (headers['RateLimit-Policy']) res.setHeader('RateLimit-Policy', headers['RateLimit-Policy']);
      if (headers.RateLimit) res.setHeader('RateLimit', headers.RateLimit);
      if (headers['RateLimit-Mode']) res.setHeader('RateLimit-Mode', headers['RateLimit-Mode']);
    }
    if (decision.allowed) return true;
    o.onRefused(req, res, decision);
    return false;
  };
}

/**
 * The same as Express middleware (`app.use(expressRateLimit(limiter, { key }))`, or on one route): calls
 * `next()` when allowed, answers refusals itself, passes a bad key to `next(error)`.
 */
export function expressRateLimit<Req extends IncomingMessage = IncomingMessage>(
  limiter: RateLimiter,
  options: RateLimitHttpOptions<Req>,
): (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void {
  const guard = httpRateLimit(limiter, options);
  return (req, res, next) => {
    guard(req, res).then(
      (allowed) => {
        if (allowed) next();
      },
      (error: unknown) => next(error),
    );
  };
}
