import { z } from 'zod';
import { DEGRADED_HEADER } from '../headers';
import {
  accountResponseSchema,
  accountSchema,
  accountUserSchema,
  type ErrorStatus,
  healthResponseSchema,
  loginResponseSchema,
  meResponseSchema,
  type PublicRouteId,
  passwordChangeResponseSchema,
  problemSchemaFor,
  type ResponseHeader,
  ROUTE_RESPONSES,
  type RouteResponses,
  registerResponseSchema,
  sessionListItemSchema,
  sessionListResponseSchema,
  sessionSchema,
  userPageSchema,
  userProfileSchema,
} from '../responses';
import { ROUTES, type RouteContract } from '../route-catalogue';
import { FIELD_NOTES } from './field-notes';
import { HEADER_CONTRACTS, type HeaderContract, sessionCookieHeader } from './response-headers';

// The public OpenAPI 3.1 document, generated from the schemas the services parse with (requests, through
// the route catalogue) and the response schemas of responses.ts. Nothing in it is written by hand but
// prose, examples and the notes of field-notes.ts; the gateway builds it at start-up and serves it at
// /openapi.json, and docs/openapi.json is the same document committed (a test keeps them equal).

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  /** The session cookie's name: `sid` when the gateway runs with `SESSION_COOKIE_SECURE=false`. @default '__Host-sid' */
  readonly sessionCookieName?: string;
}

/** An OpenAPI 3.1 document as plain JSON. */
export type OpenApiDocument = Record<string, unknown> & {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Record<string, unknown>>>;
};

/** The version of the contract: bump with any change clients can see. */
export const CONTRACT_VERSION = '1.0.1';

type Json = Record<string, unknown>;

const ref = (kind: 'schemas' | 'responses' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** Named response schemas: they become `components/schemas` and are referenced where used. */
const RESPONSE_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  UserProfile: userProfileSchema,
  UserPage: userPageSchema,
  AccountUser: accountUserSchema,
  Account: accountSchema,
  Session: sessionSchema,
  SessionListItem: sessionListItemSchema,
  RegisterResponse: registerResponseSchema,
  LoginResponse: loginResponseSchema,
  MeResponse: meResponseSchema,
  SessionList: sessionListResponseSchema,
  PasswordChangeResponse: passwordChangeResponseSchema,
  AccountResponse: accountResponseSchema,
  Health: healthResponseSchema,
};

/** What each error status means across the API (the codes are in each response's schema). */
const ERROR_DESCRIPTIONS: Readonly<Record<ErrorStatus, string>> = {
  400: '`E_VALIDATION` (a bad or unknown field, id, cursor or query parameter; `errors` names them), `E_MALFORMED_JSON`, or `E_MALFORMED_REQUEST` (ambiguous framing; the connection is closed).',
  401: '`E_UNAUTHENTICATED`: no session where one is needed, or an invalid, expired or revoked token (never served as anonymous). `E_INVALID_CREDENTIALS`: every login failure alike.',
  403: '`E_FORBIDDEN`: signed in, but not the owner or an admin. `E_CSRF`: a cookie-authenticated write that fails the same-origin check.',
  404: '`E_USER_NOT_FOUND` (no such user) or `E_NOT_FOUND` (no such route or session).',
  408: '`E_REQUEST_TIMEOUT`: the headers or the body did not arrive in time; the connection is closed.',
  409: '`E_EMAIL_TAKEN`: an account with this email exists.',
  412: '`E_VERSION_CONFLICT`: `If-Match` does not match the current version, which `ETag` names.',
  413: '`E_PAYLOAD_TOO_LARGE`: the body is over 64 KiB.',
  415: '`E_UNSUPPORTED_MEDIA_TYPE`: bodies are `application/json` (UTF-8, not compressed).',
  417: '`E_EXPECTATION_FAILED`: an `Expect` other than `100-continue`.',
  429: '`E_RATE_LIMITED`: a rate-limit policy or a per-client bound refused; `violated-policies` names it, `Retry-After` says when to retry.',
  431: '`E_HEADERS_TOO_LARGE`: the request line or headers are too large; the connection is closed.',
  500: '`E_INTERNAL`: a bug.',
  502: '`E_UPSTREAM`: a service behind the gateway failed or could not be reached.',
  503: '`E_UNAVAILABLE`: a dependency is down and the rule for it is to refuse (type `…#temporary-reduced-capacity` when it is the limiter); `Retry-After` when known.',
  504: '`E_UPSTREAM_TIMEOUT`: a service behind the gateway did not answer in time.',
};

/** Request body examples (a `Try it out` starts from these). */
const REQUEST_EXAMPLES: Partial<Record<PublicRouteId, unknown>> = {
  'auth.register': { email: 'ada@example.com', password: 'correct horse battery staple', name: 'Ada' },
  'auth.login': { email: 'ada@example.com', password: 'correct horse battery staple' },
  'auth.password': {
    currentPassword: 'correct horse battery staple',
    newPassword: 'another horse battery staple',
  },
  'users.patch': { bio: 'Analyst of engines.' },
  'auth.accounts.patch': { tier: 'pro' },
};

const strip = (schema: Json): Json => {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
};

/** A request schema as JSON Schema: its input side, with the notes refinements cannot carry. */
function requestSchema(schema: z.ZodType): Json {
  return strip(
    z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      override: (ctx) => {
        const note = FIELD_NOTES.get(ctx.zodSchema as unknown as z.ZodType);
        if (note) Object.assign(ctx.jsonSchema, note);
      },
    }) as Json,
  );
}

/** A header's schema as JSON Schema. */
const headerSchema = (header: HeaderContract): Json =>
  strip(z.toJSONSchema(header.schema, { target: 'draft-2020-12', io: 'output' }) as Json);

/** `/users/:id` → `/users/{id}`. */
const openApiPath = (path: string) => path.replace(/:([A-Za-z]\w*)/g, '{$1}');

function parameters(route: RouteContract): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const json = requestSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...propertySchema } = property;
      out.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        ...(typeof description === 'string' ? { description } : {}),
        schema: propertySchema,
      });
    }
  }
  if (route.id === 'users.patch') {
    out.push({
      name: 'If-Match',
      in: 'header',
      required: false,
      description: 'Write only if the version is still this one (`"<version>"`, a list, or `*`); else 412.',
      schema: { type: 'string' },
    });
  }
  if (route.id === 'users.get') {
    out.push({
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description: 'A 304 without a body when the version is still this one.',
      schema: { type: 'string' },
    });
  }
  return out;
}

function security(route: RouteContract): Json[] {
  const signedIn = [{ bearerAuth: [] }, { sessionCookie: [] }];
  switch (route.auth) {
    case 'user':
    case 'admin':
      return signedIn;
    case 'optional':
      return [{}, ...signedIn];
    default:
      // Logout revokes the token it is sent with; login and registration ignore one.
      return route.id === 'auth.logout' ? [{}, ...signedIn] : [];
  }
}

/** Headers every response carries (the rate-limit ones whenever a policy was evaluated). */
const COMMON_HEADERS: Json = {
  'X-Request-Id': ref('headers', 'XRequestId'),
  'RateLimit-Policy': ref('headers', 'RateLimitPolicy'),
  RateLimit: ref('headers', 'RateLimit'),
  'RateLimit-Mode': ref('headers', 'RateLimitMode'),
  [DEGRADED_HEADER]: ref('headers', 'RedwireDegraded'),
};

/** The header component of each named success header (`Cache-Control` depends on the route). */
const SUCCESS_HEADER_COMPONENTS: Readonly<Record<Exclude<ResponseHeader, 'Cache-Control'>, string>> = {
  ETag: 'ETag',
  'X-Cache': 'XCache',
  Vary: 'Vary',
  'Set-Cookie': 'SetCookie',
  'Clear-Site-Data': 'ClearSiteData',
  'Retry-After': 'RetryAfter',
};

function successHeaders(route: RouteContract, names: readonly ResponseHeader[]): Json {
  const headers: Json = { ...COMMON_HEADERS };
  for (const name of names) {
    headers[name] = ref(
      'headers',
      name === 'Cache-Control'
        ? route.viewerDependent
          ? 'CacheControlPrivate'
          : 'CacheControlNoStore'
        : SUCCESS_HEADER_COMPONENTS[name],
    );
  }
  return headers;
}

function operation(route: RouteContract, responses: RouteResponses): Json {
  const body: Json = {};
  for (const [status, success] of Object.entries(responses.success)) {
    if (!success) continue;
    body[status] = {
      description: success.description,
      headers: successHeaders(route, success.headers ?? []),
      ...(success.body
        ? { content: { 'application/json': { schema: ref('schemas', schemaName(success.body)) } } }
        : {}),
    };
  }
  for (const status of [...new Set(responses.errors)].sort((a, b) => a - b)) {
    body[String(status)] = ref('responses', `Problem${status}`);
  }
  const example = REQUEST_EXAMPLES[route.id as PublicRouteId];
  return {
    operationId: route.id,
    summary: route.summary,
    tags: [route.service === 'user' ? 'users' : 'auth'],
    security: security(route),
    ...(parameters(route).length > 0 ? { parameters: parameters(route) } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: requestSchema(route.body),
                ...(example === undefined ? {} : { example }),
              },
            },
          },
        }
      : {}),
    responses: body,
  };
}

function schemaName(schema: z.ZodType): string {
  for (const [name, candidate] of Object.entries(RESPONSE_SCHEMAS)) if (candidate === schema) return name;
  throw new Error('a response schema is not in RESPONSE_SCHEMAS: name it there');
}

/** The statuses some public route may answer with an error. */
function errorStatuses(): ErrorStatus[] {
  const all = new Set<ErrorStatus>();
  for (const r of Object.values(ROUTE_RESPONSES) as RouteResponses[]) for (const s of r.errors) all.add(s);
  return [...all].sort((a, b) => a - b);
}

function componentSchemas(statuses: readonly ErrorStatus[]): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(RESPONSE_SCHEMAS)) registry.add(schema, { id });
  for (const status of statuses) registry.add(problemSchemaFor(status), { id: `Problem${status}` });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, strip(schema)]));
}

function errorResponses(statuses: readonly ErrorStatus[]): Json {
  const out: Json = {};
  for (const status of statuses) {
    out[`Problem${status}`] = {
      description: ERROR_DESCRIPTIONS[status],
      headers: {
        ...COMMON_HEADERS,
        'Cache-Control': ref('headers', 'CacheControlNoStore'),
        ...(status === 429 ? { 'Retry-After': ref('headers', 'RetryAfter') } : {}),
        ...(status === 503 ? { 'Retry-After': ref('headers', 'RetryAfterOptional') } : {}),
        ...(status === 412 ? { ETag: ref('headers', 'ETag') } : {}),
      },
      content: { 'application/problem+json': { schema: ref('schemas', `Problem${status}`) } },
    };
  }
  return out;
}

/** Header components: required unless the name says optional (the rate-limit and degraded-mode fields). */
function headerComponents(cookieName: string): Json {
  const optional = new Set<string>(['RateLimitPolicy', 'RateLimit', 'RateLimitMode', 'RedwireDegraded']);
  const out: Json = {};
  const all: Record<string, HeaderContract> = {
    ...HEADER_CONTRACTS,
    SetCookie: sessionCookieHeader(cookieName),
  };
  for (const [name, header] of Object.entries(all)) {
    out[name] = {
      description: header.description,
      required: !optional.has(name),
      schema: headerSchema(header),
    };
  }
  out.RetryAfterOptional = { ...(out.RetryAfter as Json), required: false };
  return out;
}

/** The public API as an OpenAPI 3.1 document: every route the gateway exposes, plus `/healthz`. */
export function buildOpenApiDocument(options: OpenApiDocumentOptions = {}): OpenApiDocument {
  const cookieName = options.sessionCookieName ?? '__Host-sid';
  const statuses = errorStatuses();
  const paths: Record<string, Record<string, Json>> = {};
  for (const [id, responses] of Object.entries(ROUTE_RESPONSES) as [PublicRouteId, RouteResponses][]) {
    const route = ROUTES[id];
    if (route.visibility !== 'public') throw new Error(`${id} has responses but is not public`);
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, responses);
  }
  paths['/healthz'] = {
    get: {
      operationId: 'health',
      summary: 'Liveness of the gateway: 200 while it can serve. Not rate-limited.',
      tags: ['operations'],
      security: [],
      responses: {
        200: {
          description: 'Alive.',
          headers: {
            'X-Request-Id': ref('headers', 'XRequestId'),
            'Cache-Control': ref('headers', 'CacheControlNoStore'),
          },
          content: { 'application/json': { schema: ref('schemas', 'Health') } },
        },
        400: ref('responses', 'Problem400'),
        429: ref('responses', 'Problem429'),
      },
    },
  };
  return {
    openapi: '3.1.1',
    info: {
      title: 'redwire',
      version: CONTRACT_VERSION,
      summary: 'Users and sessions behind a rate-limiting gateway.',
      description:
        "The public HTTP API of redwire, through the gateway. Generated from the schemas the services validate with (`@redwire/contracts`). The rules a schema cannot express (who may do what, revocation, rate limiting, degraded modes) are in the repository's `docs/api.md`.",
      license: { name: 'MIT', identifier: 'MIT' },
    },
    tags: [
      { name: 'auth', description: 'Accounts and sessions (the auth service).' },
      { name: 'users', description: 'Profiles (the user service, cache-aside over PostgreSQL).' },
      { name: 'operations', description: 'The gateway itself.' },
    ],
    paths,
    components: {
      schemas: componentSchemas(statuses),
      responses: errorResponses(statuses),
      headers: headerComponents(cookieName),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'The `token` of `POST /auth/login` (or of a password change). For API clients.',
        },
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: cookieName,
          description:
            'Set by login for browsers. Writes authenticated by it must come from the same origin (`Origin` or `Sec-Fetch-Site: same-origin`), else 403 `E_CSRF`.',
        },
      },
    },
  };
}
