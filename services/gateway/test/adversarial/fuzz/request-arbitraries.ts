import {
  bioSchema,
  cursorSchema,
  emailSchema,
  nameSchema,
  newPasswordSchema,
  pageLimitSchema,
  presentedPasswordSchema,
  ROUTE_LIST,
  type RouteContract,
  sessionIdSchema,
  userIdSchema,
} from '@redwire/contracts';
import { PROTOTYPE_KEYS } from '@redwire/testing';
import fc from 'fast-check';
import { z } from 'zod';
import type { FuzzRequest, Target } from './fuzz-client';

// Requests generated from the @redwire/contracts route catalogue: for every route, its params, query and
// body schemas give the fields; each field draws valid, boundary and hostile values, and the request as a
// whole draws hostile encodings (duplicate keys, deep nesting, huge and non-UTF-8 bodies, wrong media
// types, duplicate and overlong headers, odd query strings, other methods, other targets).

const weighted = <T>(...pairs: [number, fc.Arbitrary<T>][]) =>
  fc.oneof(...pairs.map(([weight, arbitrary]) => ({ weight, arbitrary })));

/** Strings no field accepts whole: control characters, lone surrogates, direction overrides, injections. */
const hostileString: fc.Arbitrary<string> = weighted<string>(
  [
    6,
    fc.constantFrom(
      '',
      ' ',
      '\u0000',
      'a\u0000b',
      '\u007f',
      '\t',
      '\r\n',
      '\ud800',
      '\udfff',
      'x\ud83d',
      '\u202e',
      '\ufeff',
      '\u200b\u200b',
      '%00',
      '../../etc/passwd',
      '<script>alert(1)</script>',
      "' OR 1=1 --",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, not a template
      '${jndi:ldap://x}',
      '{{7*7}}',
      ...PROTOTYPE_KEYS,
    ),
  ],
  [3, fc.string({ unit: 'binary', maxLength: 40 })],
  [2, fc.string({ unit: 'grapheme', maxLength: 40 })],
  [1, fc.integer({ min: 1_000, max: 70_000 }).map((n) => 'a'.repeat(n))],
  [1, fc.integer({ min: 10, max: 3_000 }).map((n) => '😀'.repeat(n))],
);

/** JSON values of the wrong type for a string field. */
const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', ...PROTOTYPE_KEYS), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
  fc.constant(1e308),
);

const refs = (field: string) => fc.constantFrom(`«self.${field}»`, `«other.${field}»`, `«admin.${field}»`);

/** Valid and boundary values of each contract field, by schema (the catalogue's own objects). */
const FIELD_VALUES = new Map<z.ZodType, fc.Arbitrary<unknown>>([
  [
    emailSchema,
    weighted<unknown>(
      [4, refs('email')],
      [3, fc.emailAddress()],
      [
        1,
        fc.constantFrom(
          ` «self.email» `,
          'MIXED.Case@Example.COM',
          `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`,
          `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`,
          'a@b',
          '@example.com',
        ),
      ],
    ),
  ],
  [
    nameSchema,
    weighted<unknown>(
      [5, fc.string({ minLength: 1, maxLength: 100 })],
      [
        2,
        fc.constantFrom(
          'x'.repeat(100),
          'x'.repeat(101),
          '😀'.repeat(100),
          '😀'.repeat(101),
          '   ',
          ' Ada ',
          'A\tB',
        ),
      ],
    ),
  ],
  [
    bioSchema,
    weighted<unknown>(
      [5, fc.string({ maxLength: 1000 })],
      [
        2,
        fc.constantFrom(
          '',
          'b'.repeat(1000),
          'b'.repeat(1001),
          'line\nbreak\ttab',
          '😀'.repeat(1000),
          'c\u0001',
        ),
      ],
    ),
  ],
  [
    newPasswordSchema,
    weighted<unknown>(
      [4, fc.string({ minLength: 15, maxLength: 64 })],
      [
        2,
        fc.constantFrom(
          '«password»',
          'p'.repeat(14),
          'p'.repeat(15),
          'p'.repeat(256),
          'p'.repeat(257),
          '🔑'.repeat(15),
        ),
      ],
    ),
  ],
  [
    presentedPasswordSchema,
    weighted<unknown>(
      [4, fc.constant('«password»')],
      [3, fc.string({ minLength: 1, maxLength: 64 })],
      [1, fc.constantFrom('', 'p'.repeat(256), 'p'.repeat(257))],
    ),
  ],
  [
    userIdSchema,
    weighted<unknown>(
      [5, refs('id')],
      [3, fc.uuid()],
      [1, fc.uuid().map((u) => u.toUpperCase())],
      [1, fc.constantFrom('123', '00000000-0000-0000-0000-000000000000', `«self.id»x`)],
    ),
  ],
  [
    sessionIdSchema,
    weighted<unknown>([3, fc.constant('«self.sid»')], [2, fc.stringMatching(/^[A-Za-z0-9_-]{38}$/)]),
  ],
  [
    pageLimitSchema,
    weighted<unknown>(
      [4, fc.integer({ min: -5, max: 150 }).map(String)],
      [
        2,
        fc.constantFrom('1', '100', '101', '0', '01', '1e2', ' 5', '5 ', '0x10', '', '99999999999999999999'),
      ],
    ),
  ],
  [
    cursorSchema,
    weighted<unknown>(
      [3, fc.constant('«cursor»')],
      [
        2,
        fc
          .base64String({ maxLength: 64 })
          .map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '')),
      ],
      [1, fc.constantFrom('dTE6', 'u1:x', '%%%', 'a'.repeat(65))],
    ),
  ],
]);

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
}

/** A value for one field: mostly valid, sometimes at a boundary, hostile or of the wrong type. */
function fieldValue(schema: z.ZodType): fc.Arbitrary<unknown> {
  const inner = unwrap(schema);
  const valid =
    FIELD_VALUES.get(inner) ??
    (inner instanceof z.ZodEnum
      ? fc.constantFrom(...(inner.options as string[]))
      : fc.string({ maxLength: 20 }));
  return weighted<unknown>([12, valid], [3, hostileString], [2, wrongType]);
}

function shapeOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : {};
}

/** Keys that are not in the schema: prototype names, near-misses, random ones. */
const extraKey = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS),
  fc.constantFrom('role', 'Email', 'email ', 'id', 'status', ''),
  fc.string({ maxLength: 12 }),
);

/** Ordered key/value pairs (so duplicates and `__proto__` survive serialisation). */
type Entries = [string, unknown][];

function entriesFor(schema: z.ZodType | undefined): fc.Arbitrary<Entries> {
  const shape = shapeOf(schema);
  const fields = Object.entries(shape).map(([key, s]) =>
    fc.option(
      fieldValue(s).map((v): [string, unknown] => [key, v]),
      { freq: 6, nil: undefined },
    ),
  );
  const extras = fc.array(fc.tuple(extraKey, fc.oneof(hostileString, wrongType)), { maxLength: 2 });
  return fc
    .tuple(fc.tuple(...fields), weighted<[string, unknown][]>([5, fc.constant([])], [1, extras]))
    .map(([present, more]) => [...present.filter((e): e is [string, unknown] => e !== undefined), ...more]);
}

const jsonOf = (entries: Entries) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;

/** Bodies no schema reads: broken, deep (under the 64 KiB limit, so the parser sees them), huge, not UTF-8, not an object. */
const hostileBody: fc.Arbitrary<string | Uint8Array> = weighted<string | Uint8Array>(
  [
    6,
    fc.constantFrom<string | Uint8Array>(
      '',
      'null',
      '[]',
      '"string"',
      '1',
      'true',
      '{',
      '{"a":',
      '{"a":1}}',
      '\ufeff{}',
      '{}\u0000',
      "{'a':1}",
      'NaN',
      '{"a":1e999}',
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"x":1}}}',
      '{"a":"\\ud800"}',
      Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      Uint8Array.from([0x1f, 0x8b, 0x08, 0x00]),
      Uint8Array.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]),
    ),
  ],
  [2, fc.integer({ min: 1_000, max: 32_000 }).map((d) => '['.repeat(d) + ']'.repeat(d))],
  [1, fc.integer({ min: 1_000, max: 10_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`)],
  [1, fc.integer({ min: 60_000, max: 80_000 }).map((n) => `{"bio":"${'a'.repeat(n)}"}`)],
);

function bodyFor(route: RouteContract | undefined): fc.Arbitrary<string | Uint8Array | undefined> {
  if (!route?.body) {
    return weighted<string | Uint8Array | undefined>(
      [8, fc.constant(undefined)],
      [1, hostileBody],
      [1, entriesFor(undefined).map(jsonOf)],
    );
  }
  const entries = entriesFor(route.body);
  return weighted<string | Uint8Array | undefined>(
    [10, entries.map(jsonOf)],
    // The same key twice: JSON.parse keeps the last, a validator must still see one value.
    [
      2,
      fc.tuple(entries, fc.oneof(hostileString, wrongType)).map(([e, v]) =>
        jsonOf(
          e.length > 0
            ? [...e, [(e[0] as [string, unknown])[0], v]]
            : [
                ['a', 1],
                ['a', v],
              ],
        ),
      ),
    ],
    [2, hostileBody],
    [1, fc.constant(undefined)],
  );
}

const MEDIA_TYPES = [
  'text/plain',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/merge-patch+json',
  'application/problem+json',
  '*/*',
  'application/json, text/plain',
  'APPLICATION/JSON',
  'application/json;;;',
  `application/json; x=${'y'.repeat(4000)}`,
];

/** Content-Type header pairs for a request with a body (none for one without, usually). */
const contentType = (hasBody: boolean): fc.Arbitrary<[string, string][]> =>
  hasBody
    ? weighted<[string, string][]>(
        [12, fc.constant([['content-type', 'application/json']])],
        [2, fc.constantFrom(...MEDIA_TYPES).map((t): [string, string][] => [['content-type', t]])],
        [1, fc.constant([])],
        [
          1,
          fc.constant([
            ['content-type', 'application/json'],
            ['content-type', 'text/plain'],
          ]),
        ],
        [
          1,
          fc.constant([
            ['content-type', 'application/json'],
            ['content-encoding', 'gzip'],
          ]),
        ],
      )
    : weighted<[string, string][]>(
        [8, fc.constant([])],
        [1, fc.constant([['content-type', 'application/json']])],
      );

/** How a request authenticates: placeholders resolved against the live fixtures when it is sent. */
function credentials(target: Target, route: RouteContract | undefined): fc.Arbitrary<[string, string][]> {
  if (target === 'gateway') {
    return weighted<[string, string][]>(
      [3, fc.constant([])],
      [
        4,
        fc
          .constantFrom('self', 'other', 'admin')
          .map((w): [string, string][] => [['authorization', `Bearer «${w}.token»`]]),
      ],
      [
        1,
        fc.constantFrom<[string, string][]>(
          [['cookie', '__Host-sid=«self.token»']],
          [
            ['cookie', '__Host-sid=«admin.token»'],
            ['origin', 'https://evil.example'],
          ],
          [['authorization', 'Bearer «revoked»']],
          [['authorization', 'Bearer garbage.token']],
          [['authorization', 'Bearer ']],
          [['authorization', 'Basic YWRtaW46YWRtaW4=']],
          [
            ['authorization', 'Bearer «self.token»'],
            ['authorization', 'Bearer «admin.token»'],
          ],
          [['x-redwire-identity', '«identity:admin:user»']],
          [['authorization', `Bearer ${'A'.repeat(5000)}`]],
          [['cookie', '__proto__=1; constructor=2; __Host-sid=«self.token»; __Host-sid=x']],
        ),
      ],
    );
  }
  const audience = target;
  const who = route?.auth === 'service' ? 'service' : route?.auth === 'admin' ? 'admin' : 'self';
  return weighted<[string, string][]>(
    [5, fc.constant([['x-redwire-identity', `«identity:${who}:${audience}»`]])],
    [
      2,
      fc
        .constantFrom('self', 'other', 'admin', 'service')
        .map((w): [string, string][] => [['x-redwire-identity', `«identity:${w}:${audience}»`]]),
    ],
    [2, fc.constant([])],
    [
      1,
      fc.constantFrom<[string, string][]>(
        [['x-redwire-identity', `«identity:self:${audience === 'user' ? 'auth' : 'user'}»`]],
        [['x-redwire-identity', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.']],
        [['x-redwire-identity', 'x'.repeat(5000)]],
        [
          ['x-redwire-identity', `«identity:self:${audience}»`],
          ['x-redwire-identity', `«identity:admin:${audience}»`],
        ],
        [['authorization', 'Bearer «self.token»']],
      ),
    ],
  );
}

/** Every character HTTP allows in a header value (tab, visible ASCII, obs-text): Node's client sends no other. */
const headerChar = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
  fc.constant('\t'),
);

/** Headers any request may carry in odd ways (duplicated, malformed, long but under the parser's limit). */
const extraHeaders: fc.Arbitrary<[string, string][]> = fc.array(
  fc.oneof(
    fc.constantFrom<[string, string]>(
      ['x-request-id', 'fuzz-request'],
      ['x-request-id', 'bad id with spaces'],
      ['x-request-id', 'x'.repeat(300)],
      ['if-match', '"1"'],
      ['if-match', 'W/"1"'],
      ['if-match', '*'],
      ['if-match', 'garbage'],
      ['if-match', '"99999999999999999999"'],
      ['if-none-match', '"1", W/"2", *'],
      ['accept', 'text/html'],
      ['accept', 'application/problem+json;q=0'],
      ['x-forwarded-for', '1.2.3.4, garbage, ::1'],
      ['x-forwarded-proto', 'javascript'],
      ['origin', 'null'],
      ['sec-fetch-site', 'cross-site'],
      ['constructor', 'x'],
      ['__proto__', 'x'],
      ['x-pad', 'p'.repeat(8000)],
    ),
    fc.tuple(
      fc.constantFrom('x-fuzz', 'if-match', 'accept', 'x-request-id', 'cookie'),
      fc.string({ unit: headerChar, maxLength: 30 }),
    ),
  ),
  { maxLength: 3 },
);

/**
 * encodeURIComponent, except that a lone surrogate (which it refuses) becomes the percent-encoded bytes a
 * WTF-8 encoder would write: a path segment that is not valid UTF-8 once decoded.
 */
function encodeSegment(value: string): string {
  return value
    .split(/(\p{Cs})/u)
    .map((part) => (/^\p{Cs}$/u.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');
}

const ODD_SEGMENTS = [
  '%',
  '%zz',
  '%E0%A4%A',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '%00',
  '%ff',
  ';a=b',
  '',
  '*',
  'a%20b',
];

function pathFor(route: RouteContract): fc.Arbitrary<string> {
  const params = Object.entries(shapeOf(route.params));
  const values = params.map(([name, schema]) =>
    weighted<[string, string]>(
      [
        10,
        fieldValue(schema).map((v): [string, string] => [
          name,
          encodeSegment(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')),
        ]),
      ],
      [2, fc.constantFrom(...ODD_SEGMENTS, ...PROTOTYPE_KEYS).map((s): [string, string] => [name, s])],
    ),
  );
  return fc.tuple(...values).map((pairs) => {
    let out = route.path;
    for (const [name, value] of pairs) out = out.replace(`:${name}`, value);
    return out;
  });
}

function queryFor(route: RouteContract): fc.Arbitrary<string> {
  const shape = shapeOf(route.query);
  const pair = fc.oneof(
    ...Object.entries(shape).map(([key, schema]) =>
      fieldValue(schema).map((v): [string, unknown] => [key, v]),
    ),
    fc.tuple(fc.constantFrom(...PROTOTYPE_KEYS), fc.constantFrom('1', '', 'x')),
    fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })),
  );
  const encoded = fc
    .array(pair, { maxLength: 4 })
    .map((pairs) =>
      pairs
        .map(
          ([k, v]) =>
            `${encodeURIComponent(k)}=${encodeSegment(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''))}`,
        )
        .join('&'),
    );
  const odd = fc.constantFrom(
    'limit',
    '=5',
    '&&&',
    'limit[]=5',
    'limit[a]=5',
    'a[b][c]=1',
    '__proto__[admin]=1',
    'limit=1&limit=2',
    'cursor=a&cursor=b',
    '%zz=1',
    'limit=%zz',
    'limit=5#frag',
    `limit=${'9'.repeat(5000)}`,
    'limit=5;cursor=x',
  );
  return route.query
    ? weighted<string>([6, encoded.map((q) => (q ? `?${q}` : ''))], [2, odd.map((q) => `?${q}`)])
    : weighted<string>([9, fc.constant('')], [1, odd.map((q) => `?${q}`)]);
}

function routeRequest(route: RouteContract): fc.Arbitrary<FuzzRequest> {
  const targets: Target[] = route.visibility === 'internal' ? [route.service] : ['gateway', route.service];
  return fc
    .record({
      target: weighted<Target>(
        ...targets.map((t, i): [number, fc.Arbitrary<Target>] => [i === 0 ? 3 : 2, fc.constant(t)]),
      ),
      method: weighted<string>(
        [20, fc.constant(route.method)],
        [2, fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD')],
      ),
      path: pathFor(route),
      query: queryFor(route),
      body: bodyFor(route),
      extra: extraHeaders,
    })
    .chain((r) =>
      fc.record({ auth: credentials(r.target, route), type: contentType(r.body !== undefined) }).map(
        ({ auth, type }): FuzzRequest => ({
          target: r.target,
          route: route.id,
          method: r.method,
          path: `${r.path}${r.query}`,
          headers: [...auth, ...type, ...r.extra],
          ...(r.body === undefined || r.method === 'GET' || r.method === 'HEAD' ? {} : { body: r.body }),
        }),
      ),
    );
}

const UNROUTED_PATHS = [
  '/',
  '/users/',
  '/auth',
  '/auth/',
  '/AUTH/LOGIN',
  '/auth/login/',
  '/auth/login;x=1',
  '/internal/users',
  '/users/..%2fauth',
  '//users',
  '/%2e%2e/auth/login',
  '/users/%E0%A4%A',
  '/healthz',
  '*',
  `/${'a'.repeat(5000)}`,
  '/__proto__',
  '/constructor',
];

const unroutedRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    target: fc.constantFrom<Target>('gateway', 'user', 'auth'),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    path: fc.constantFrom(...UNROUTED_PATHS),
    headers: extraHeaders,
  })
  .map((r): FuzzRequest => ({ ...r, route: 'unrouted' }));

/** Headers past Node's 16 KiB limit: Node's parser answers before any application code. */
export const parserLevelRequest: fc.Arbitrary<FuzzRequest> = fc
  .record({
    target: fc.constantFrom<Target>('gateway', 'user', 'auth'),
    size: fc.integer({ min: 17_000, max: 80_000 }),
    how: fc.constantFrom('one', 'cookie', 'many'),
  })
  .map(({ target, size, how }): FuzzRequest => {
    const headers: [string, string][] =
      how === 'one'
        ? [['x-pad', 'p'.repeat(size)]]
        : how === 'cookie'
          ? [['cookie', `a=${'b'.repeat(size)}`]]
          : Array.from({ length: Math.ceil(size / 1000) }, (_, i): [string, string] => [
              `x-pad-${i}`,
              'p'.repeat(1000),
            ]);
    return { target, route: 'parser', method: 'GET', path: '/users', headers, parserLevel: true };
  });

/** One request of the fuzz run: a catalogue route (most of the time) or a path no route owns. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = weighted<FuzzRequest>(
  ...ROUTE_LIST.map((route): [number, fc.Arbitrary<FuzzRequest>] => [10, routeRequest(route)]),
  [6, unroutedRequest],
);
