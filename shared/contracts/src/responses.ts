import { z } from 'zod';
import { ACCOUNT_STATUSES, emailAddressSchema, LIMITS, ROLES, TIERS } from './fields';
import type { RouteId } from './route-catalogue';

// Response schemas of every public route, as the services send them. They are output schemas: objects are
// closed (`z.toJSONSchema(schema, { io: 'output' })` gives `additionalProperties: false`), so a field a
// service starts sending without a change here fails the contract test instead of leaking unnoticed.
// Plain zod only (no transforms): the OpenAPI document is generated from these.

const timestamp = z.iso
  .datetime()
  .meta({ description: 'ISO-8601 in UTC.', examples: ['2026-12-02T16:11:00.000Z'] });
const ADA_ID = '0193a0c2-7c2e-7d4a-9f3b-2b1e8c9d0a11';

/** A user profile as `GET /users/:id` shows it; `email` only to the user themself, an admin or a service. */
export const userProfileSchema = z
  .object({
    id: z.uuid(),
    email: emailAddressSchema.optional().meta({ description: 'Only for the user themself or an admin.' }),
    name: z.string(),
    bio: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    version: z
      .number()
      .int()
      .min(1)
      .meta({ description: 'Bumped by every write; the ETag is `"<version>"`, and If-Match compares it.' }),
  })
  .meta({
    examples: [
      {
        id: ADA_ID,
        email: 'ada@example.com',
        name: 'Ada',
        bio: 'Analyst of engines.',
        createdAt: '2026-12-02T16:11:00.000Z',
        updatedAt: '2026-12-02T16:12:30.000Z',
        version: 2,
      },
    ],
  });

/** A page of `GET /users`: profiles by id ascending; `nextCursor` is null on the last page. */
export const userPageSchema = z.object({
  items: z.array(userProfileSchema).max(LIMITS.pageMax),
  nextCursor: z
    .string()
    .nullable()
    .meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

/** The account as auth shows it to its owner (`user` of login and `/auth/me`). */
export const accountUserSchema = z.object({
  id: z.uuid(),
  email: emailAddressSchema,
  role: z.enum(ROLES),
  tier: z.enum(TIERS),
});

/** The account as an admin changed it (`account` of `PATCH /auth/accounts/:id`). */
export const accountSchema = accountUserSchema.extend({
  status: z.enum(ACCOUNT_STATUSES),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** The public id of a session (never the secret part of a token). */
const sessionId = z.string().regex(/^[A-Za-z0-9_-]{38}$/);

/** `session` of login, password change and `/auth/me`. */
export const sessionSchema = z.object({
  id: sessionId,
  createdAt: timestamp,
  expiresAt: timestamp.meta({
    description: 'The effective expiry: the earlier of the idle and absolute ones.',
  }),
  idleExpiresAt: timestamp,
});

/** One entry of `GET /auth/sessions`. */
export const sessionListItemSchema = z.object({
  id: sessionId,
  createdAt: timestamp,
  lastActiveAt: timestamp,
  expiresAt: timestamp,
  userAgent: z.string().meta({ description: "The first 64 bytes of the browser's User-Agent." }),
  ip: z.string(),
  current: z.boolean().meta({ description: 'The session this request was made with.' }),
});

const token = z.string().min(1).meta({
  description:
    'The bearer token (`Authorization: Bearer <token>`). Returned only by the call that creates it.',
});

export const registerResponseSchema = z.object({
  user: userProfileSchema.meta({ description: 'The new profile, with `email`.' }),
});
export const loginResponseSchema = z.object({ user: accountUserSchema, token, session: sessionSchema });
export const meResponseSchema = z.object({ user: accountUserSchema, session: sessionSchema });
export const sessionListResponseSchema = z.object({ sessions: z.array(sessionListItemSchema) });
export const passwordChangeResponseSchema = z.object({ token, session: sessionSchema });
export const accountResponseSchema = z.object({ account: accountSchema });
export const healthResponseSchema = z.object({ status: z.literal('ok') });

/**
 * Every stable error code and its status (the `errors` factories of `@redwire/http-kit` send them; a test
 * keeps the two lists equal). `E_INTERNAL` is a bug, never part of a route's contract.
 */
export const ERROR_STATUS = {
  E_VALIDATION: 400,
  E_MALFORMED_JSON: 400,
  E_MALFORMED_REQUEST: 400,
  E_UNAUTHENTICATED: 401,
  E_INVALID_CREDENTIALS: 401,
  E_FORBIDDEN: 403,
  E_CSRF: 403,
  E_NOT_FOUND: 404,
  E_USER_NOT_FOUND: 404,
  E_REQUEST_TIMEOUT: 408,
  E_EMAIL_TAKEN: 409,
  E_VERSION_CONFLICT: 412,
  E_PAYLOAD_TOO_LARGE: 413,
  E_UNSUPPORTED_MEDIA_TYPE: 415,
  E_EXPECTATION_FAILED: 417,
  E_RATE_LIMITED: 429,
  E_HEADERS_TOO_LARGE: 431,
  E_INTERNAL: 500,
  E_UPSTREAM: 502,
  E_UNAVAILABLE: 503,
  E_UPSTREAM_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
/** A status some error code is sent with. */
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** IANA problem types (RFC 9457 registry) for the limiter's answers; everything else is `about:blank`. */
export const PROBLEM_TYPES = {
  quotaExceeded: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
  temporaryReducedCapacity: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
} as const;

/** The codes sent with `status`. */
export function errorCodesFor(status: ErrorStatus): [ErrorCode, ...ErrorCode[]] {
  const codes = (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
  if (codes.length === 0) throw new Error(`no error code has status ${status}`);
  return codes as [ErrorCode, ...ErrorCode[]];
}

/** The RFC 9457 body of every error (`application/problem+json`). */
export const problemSchema = z.object({
  type: z.string().meta({ description: '`about:blank` unless an IANA problem type applies.' }),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z
    .string()
    .meta({ description: 'Written for the client; never a stack trace, SQL or a Redis reply.' }),
  code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
  instance: z.string().meta({ description: 'The request id (`X-Request-Id`).' }),
  errors: z
    .record(z.string(), z.array(z.string()))
    .optional()
    .meta({ description: 'With `E_VALIDATION`: field path → messages.' }),
  'violated-policies': z.array(z.string()).optional().meta({
    description: 'With 429, and with a 503 of the limiter: the policies or per-client bounds that refused.',
  }),
});

/** {@link problemSchema} narrowed to one status: its codes, and for 429 its type and policies. */
export function problemSchemaFor(status: ErrorStatus) {
  const narrowed = problemSchema.extend({ status: z.literal(status), code: z.enum(errorCodesFor(status)) });
  if (status === 429) {
    return narrowed.extend({
      type: z.literal(PROBLEM_TYPES.quotaExceeded),
      'violated-policies': z.array(z.string()),
    });
  }
  if (status === 503) {
    return narrowed.extend({ type: z.enum(['about:blank', PROBLEM_TYPES.temporaryReducedCapacity]) });
  }
  return narrowed.extend({ type: z.literal('about:blank') });
}

/** Response headers the contract names, by the name they are sent with. */
export type ResponseHeader =
  | 'ETag'
  | 'X-Cache'
  | 'Cache-Control'
  | 'Vary'
  | 'Set-Cookie'
  | 'Clear-Site-Data'
  | 'Retry-After';

/** One success response of a route. */
export interface SuccessResponse {
  readonly description: string;
  /** JSON body; absent: no body (204, 304). */
  readonly body?: z.ZodType;
  /** Headers the service always sends with it. */
  readonly headers?: readonly ResponseHeader[];
}

/** What a public route answers: its successes and the error statuses the contract allows it. */
export interface RouteResponses {
  readonly success: Readonly<Partial<Record<200 | 201 | 204 | 304, SuccessResponse>>>;
  readonly errors: readonly ErrorStatus[];
}

/** Every request may meet these: framing, the edge's bounds and limits, a dependency or a service down. */
const EDGE_ERRORS = [400, 408, 417, 429, 431, 502, 503, 504] as const satisfies readonly ErrorStatus[];
/** A request with a body may also be too large (413); a JSON body in another media type is 415. */
const WITH_BODY = [413, 415] as const satisfies readonly ErrorStatus[];

const viewerDependent: readonly ResponseHeader[] = ['Cache-Control', 'Vary'];
const noStore: readonly ResponseHeader[] = ['Cache-Control'];

/** The responses of each public route (internal routes are service-to-service and not documented here). */
export const ROUTE_RESPONSES = {
  'users.get': {
    success: {
      200: {
        description: 'The profile.',
        body: userProfileSchema,
        headers: ['ETag', 'X-Cache', ...viewerDependent],
      },
      304: { description: 'If-None-Match names the current version.', headers: ['ETag', ...viewerDependent] },
    },
    errors: [...EDGE_ERRORS, 401, 404],
  },
  'users.list': {
    success: {
      200: { description: 'One page of profiles.', body: userPageSchema, headers: viewerDependent },
    },
    errors: [...EDGE_ERRORS, 401],
  },
  'users.patch': {
    success: {
      200: {
        description: 'The changed profile.',
        body: userProfileSchema,
        headers: ['ETag', ...viewerDependent],
      },
    },
    errors: [...EDGE_ERRORS, ...WITH_BODY, 401, 403, 404, 412],
  },
  'users.delete': {
    success: { 204: { description: 'The user, their credentials and sessions are gone.' } },
    errors: [...EDGE_ERRORS, 413, 401, 403, 404],
  },
  'auth.register': {
    success: { 201: { description: 'The account exists.', body: registerResponseSchema, headers: noStore } },
    errors: [...EDGE_ERRORS, ...WITH_BODY, 403, 409],
  },
  'auth.login': {
    success: {
      200: {
        description: 'A new session: its token in the body and in the session cookie.',
        body: loginResponseSchema,
        headers: [...noStore, 'Set-Cookie'],
      },
    },
    errors: [...EDGE_ERRORS, ...WITH_BODY, 401, 403],
  },
  'auth.logout': {
    success: {
      204: {
        description: 'The token, if any, is revoked; the cookie and the site data are cleared.',
        headers: [...noStore, 'Set-Cookie', 'Clear-Site-Data'],
      },
    },
    errors: [...EDGE_ERRORS, 413, 403],
  },
  'auth.logoutAll': {
    success: {
      204: { description: 'Every session of the caller ended.', headers: [...noStore, 'Set-Cookie'] },
    },
    errors: [...EDGE_ERRORS, 413, 401, 403],
  },
  'auth.me': {
    success: {
      200: { description: 'The caller and this session.', body: meResponseSchema, headers: noStore },
    },
    errors: [...EDGE_ERRORS, 401],
  },
  'auth.sessions.list': {
    success: {
      200: { description: "The caller's live sessions.", body: sessionListResponseSchema, headers: noStore },
    },
    errors: [...EDGE_ERRORS, 401],
  },
  'auth.sessions.delete': {
    success: { 204: { description: 'The session is revoked.', headers: noStore } },
    errors: [...EDGE_ERRORS, 413, 401, 403, 404],
  },
  'auth.password': {
    success: {
      200: {
        description: 'A new session for the caller; every other session ended.',
        body: passwordChangeResponseSchema,
        headers: [...noStore, 'Set-Cookie'],
      },
    },
    errors: [...EDGE_ERRORS, ...WITH_BODY, 401, 403],
  },
  'auth.accounts.patch': {
    success: { 200: { description: 'The changed account.', body: accountResponseSchema, headers: noStore } },
    errors: [...EDGE_ERRORS, ...WITH_BODY, 401, 403, 404],
  },
} as const satisfies Partial<Record<RouteId, RouteResponses>>;

/** Ids of the routes the gateway exposes (those with responses above). */
export type PublicRouteId = keyof typeof ROUTE_RESPONSES;
