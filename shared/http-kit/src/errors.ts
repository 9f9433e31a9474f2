import { AppError } from './app-error';

/** IANA problem type for a 429 caused by a rate-limit policy. */
export const QUOTA_EXCEEDED_TYPE = 'https://iana.org/assignments/http-problem-types#quota-exceeded';
/** IANA problem type for a 503 because the limiter itself cannot decide (e.g. Redis down, fail-closed). */
export const TEMPORARY_REDUCED_CAPACITY_TYPE =
  'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity';

/** Field path → messages, the `errors` member of a 400 `E_VALIDATION`. */
export type FieldErrors = Record<string, string[]>;

/** Optional extras every factory accepts. */
export interface ErrorInit {
  /** The underlying error: logged, never sent. */
  readonly cause?: unknown;
  /** Extra response headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of `errors.E_RATE_LIMITED`. */
export interface RateLimitedInit extends ErrorInit {
  /** Names of the policies that rejected the request (`violated-policies`). */
  readonly violatedPolicies: readonly string[];
  /** Seconds until a retry can succeed; sent as `Retry-After`, rounded up, at least 1. */
  readonly retryAfterSeconds: number;
  /** @default 'Too many requests; retry after the time in Retry-After.' */
  readonly detail?: string;
}

/** Options of `errors.E_UNAVAILABLE`. */
export interface UnavailableInit extends ErrorInit {
  /**
   * The refusal comes from the rate limiter running at reduced capacity (IANA `temporary-reduced-capacity`
   * type) rather than from a dependency being down.
   * @default false
   */
  readonly reducedCapacity?: boolean;
  /** Policies involved, sent as `violated-policies` (only with `reducedCapacity`). */
  readonly violatedPolicies?: readonly string[];
  /** Sent as `Retry-After` (seconds, rounded up, at least 1) when given. */
  readonly retryAfterSeconds?: number;
}

function retryAfter(seconds: number): string {
  return String(Math.max(1, Math.ceil(seconds)));
}

function simple(code: string, status: number, defaultDetail: string) {
  return (detail: string = defaultDetail, init: ErrorInit = {}): AppError =>
    new AppError({ code, status, detail, cause: init.cause, headers: init.headers });
}

/**
 * Factories for every stable error code of docs/api.md, keyed by code (`throw errors.E_USER_NOT_FOUND()`).
 * Default details are client-safe; pass a more specific `detail` when it helps the client, never one
 * containing driver output.
 */
export const errors = {
  /** 400: a bad or unknown field, a malformed id, cursor or query parameter. */
  E_VALIDATION: (fieldErrors: FieldErrors = {}, detail = 'The request is invalid.', init: ErrorInit = {}) =>
    new AppError({
      code: 'E_VALIDATION',
      status: 400,
      detail,
      cause: init.cause,
      headers: init.headers,
      extensions: { errors: fieldErrors },
    }),
  /** 400: the body is not parseable JSON (or not a JSON object/array). */
  E_MALFORMED_JSON: simple('E_MALFORMED_JSON', 400, 'The request body is not valid JSON.'),
  /**
   * 400: the request itself is not acceptable HTTP/1.1 (ambiguous or refused framing, a malformed request
   * line or header, no Host). Always answered with `Connection: close`: the connection's framing is suspect.
   */
  E_MALFORMED_REQUEST: simple('E_MALFORMED_REQUEST', 400, 'The request is not well-formed HTTP/1.1.'),
  /** 401: identity missing, invalid, expired or revoked — never downgraded to anonymous. */
  E_UNAUTHENTICATED: simple('E_UNAUTHENTICATED', 401, 'Authentication is required.'),
  /** 401: every login failure, whatever the reason. */
  E_INVALID_CREDENTIALS: simple('E_INVALID_CREDENTIALS', 401, 'The email or password is incorrect.'),
  /** 403: authenticated, but not self/admin (or not a service on an internal route). */
  E_FORBIDDEN: simple('E_FORBIDDEN', 403, 'You are not allowed to perform this action.'),
  /** 403: a cookie-authenticated unsafe request failed the same-origin check. */
  E_CSRF: simple('E_CSRF', 403, 'The request did not come from the same origin.'),
  /** 404: unknown route. */
  E_NOT_FOUND: simple('E_NOT_FOUND', 404, 'The requested resource does not exist.'),
  /** 404: no user with this id. */
  E_USER_NOT_FOUND: simple('E_USER_NOT_FOUND', 404, 'No user with this id exists.'),
  /** 409: registration with an email that already has an account. */
  E_EMAIL_TAKEN: simple('E_EMAIL_TAKEN', 409, 'An account with this email already exists.'),
  /** 408: the request (headers or body) did not arrive in time; the connection is closed. */
  E_REQUEST_TIMEOUT: simple('E_REQUEST_TIMEOUT', 408, 'The request did not arrive in time.'),
  /** 412: `If-Match` does not match the current version. */
  E_VERSION_CONFLICT: simple('E_VERSION_CONFLICT', 412, 'The resource has changed; If-Match does not match.'),
  /** 413: body larger than the limit. */
  E_PAYLOAD_TOO_LARGE: simple('E_PAYLOAD_TOO_LARGE', 413, 'The request body is too large.'),
  /** 415: a body that is not `application/json` (or uses an unsupported charset or content encoding). */
  E_UNSUPPORTED_MEDIA_TYPE: simple(
    'E_UNSUPPORTED_MEDIA_TYPE',
    415,
    'Request bodies must be application/json (UTF-8, not compressed).',
  ),
  /** 417: an `Expect` other than `100-continue`. */
  E_EXPECTATION_FAILED: simple(
    'E_EXPECTATION_FAILED',
    417,
    'Only the expectation 100-continue is supported.',
  ),
  /** 431: too many request header fields, or too many bytes of them; the connection is closed. */
  E_HEADERS_TOO_LARGE: simple('E_HEADERS_TOO_LARGE', 431, 'The request header fields are too large.'),
  /** 429 with the IANA `quota-exceeded` type, `violated-policies` and `Retry-After`. */
  E_RATE_LIMITED: (init: RateLimitedInit) =>
    new AppError({
      code: 'E_RATE_LIMITED',
      status: 429,
      type: QUOTA_EXCEEDED_TYPE,
      title: 'Request cannot be satisfied as assigned quota has been exceeded',
      detail: init.detail ?? 'Too many requests; retry after the time in Retry-After.',
      cause: init.cause,
      extensions: { 'violated-policies': [...init.violatedPolicies] },
      headers: { ...init.headers, 'Retry-After': retryAfter(init.retryAfterSeconds) },
    }),
  /** 502: a service behind the gateway failed. */
  E_UPSTREAM: simple('E_UPSTREAM', 502, 'An upstream service failed.'),
  /** 504: a service behind the gateway did not answer in time. */
  E_UPSTREAM_TIMEOUT: simple('E_UPSTREAM_TIMEOUT', 504, 'An upstream service did not answer in time.'),
  /** 503: a dependency is down and the failure policy is to refuse. */
  E_UNAVAILABLE: (detail = 'The service is temporarily unavailable.', init: UnavailableInit = {}) => {
    const headers = { ...init.headers };
    if (init.retryAfterSeconds !== undefined) headers['Retry-After'] = retryAfter(init.retryAfterSeconds);
    return new AppError({
      code: 'E_UNAVAILABLE',
      status: 503,
      detail,
      cause: init.cause,
      headers,
      ...(init.reducedCapacity
        ? {
            type: TEMPORARY_REDUCED_CAPACITY_TYPE,
            title: 'Request cannot be satisfied due to temporary reduced capacity',
            extensions: { 'violated-policies': [...(init.violatedPolicies ?? [])] },
          }
        : {}),
    });
  },
  /** 500: anything unexpected. The cause is logged; the client sees only the generic detail. */
  E_INTERNAL: (cause?: unknown) =>
    new AppError({ code: 'E_INTERNAL', status: 500, detail: 'An unexpected error occurred.', cause }),
} as const;

/** Every stable error code the kit knows. */
export type ErrorCode = keyof typeof errors;

/** The codes as a list, e.g. for documentation or exhaustive tests. */
export const ERROR_CODES = Object.keys(errors) as ErrorCode[];
