import { randomUUID } from 'node:crypto';
import { grantAdmin } from '@redwire/auth';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PolicyInput } from '../../src/ratelimit';
import { type RealStack, roomyPolicies, startRealStack } from '../adversarial/support/real-stack';
import { PASSWORD } from '../adversarial/support/registration';
import { OpenApiResponseCheck, type ResponseVerdict } from './support/openapi-response-check';

// The contract test: real requests for every public route, through the real gateway to the real user and
// auth services (on real Redis and PostgreSQL), and every response checked against the OpenAPI document the
// gateway serves, by a checker that shares no code with the generator (Ajv for JSON Schema 2020-12; see
// support/openapi-response-check.ts). A response that the document does not describe (an undocumented
// status, a missing header, a field too many) fails the request that got it.

let stack: RealStack;
let check: OpenApiResponseCheck;
let served: Record<string, unknown>;
const seen: (ResponseVerdict & { status: number })[] = [];

/** One quota unit per hour for the `pro` tier, so the second request of a pro user is a 429. */
const PRO_QUOTA: PolicyInput = {
  name: 'contract-pro',
  identity: 'user',
  tiers: ['pro'],
  limit: 1,
  period: 3600,
};

interface CallOptions {
  readonly token?: string;
  /** Sent as the session cookie instead of a bearer token (a browser). */
  readonly cookie?: string;
  readonly json?: unknown;
  /** A raw body, sent with `contentType`. */
  readonly raw?: string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON read by the assertions below, already checked against the document
  readonly body: any;
}

/** Sends a request through the gateway and checks its answer against the document. */
async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = `__Host-sid=${options.cookie}`;
  let body: string | undefined;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  } else if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const res = await fetch(`${stack.url}${path}`, { method, headers, body });
  const text = await res.text();
  const verdict = check.check({
    method,
    path: path.split('?', 1)[0] as string,
    status: res.status,
    headers: res.headers,
    body: text,
  });
  seen.push({ ...verdict, status: res.status });
  expect(verdict.problems, `${method} ${path} → ${res.status}`).toEqual([]);
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

interface Account {
  readonly id: string;
  readonly email: string;
  readonly token: string;
  readonly sessionId: string;
}

async function signUp(label: string): Promise<Account> {
  const email = `contract-${label}-${randomUUID()}@example.com`;
  const registered = await call('POST', '/auth/register', {
    json: { email, password: PASSWORD, name: label },
  });
  expect(registered.status).toBe(201);
  const login = await call('POST', '/auth/login', { json: { email, password: PASSWORD } });
  expect(login.status).toBe(200);
  return { id: registered.body.user.id, email, token: login.body.token, sessionId: login.body.session.id };
}

beforeAll(async () => {
  stack = await startRealStack({ policies: [...roomyPolicies(), PRO_QUOTA] });
  const res = await fetch(`${stack.url}/openapi.json`);
  expect(res.status).toBe(200);
  served = (await res.json()) as Record<string, unknown>;
  check = new OpenApiResponseCheck(served);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

describe('the OpenAPI document, as the gateway serves it', () => {
  it('when validated against the OpenAPI 3.1 schema, then it is valid', async () => {
    const result = await new Validator().validate(structuredClone(served));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('when a real answer is doctored (a field too many, a header missing, an undocumented status), then the check refuses it', async () => {
    const ada = await signUp('doctored');
    const res = await fetch(`${stack.url}/users/${ada.id}`);
    const text = await res.text();
    const real = { method: 'GET', path: `/users/${ada.id}`, status: 200, headers: res.headers, body: text };
    expect(check.check(real).problems).toEqual([]);
    const extraField = JSON.stringify({ ...JSON.parse(text), passwordHash: 'x' });
    expect(check.check({ ...real, body: extraField }).problems.join()).toMatch(/additional properties/);
    const noRequestId = new Headers(res.headers);
    noRequestId.delete('x-request-id');
    expect(check.check({ ...real, headers: noRequestId }).problems.join()).toMatch(/X-Request-Id is missing/);
    expect(check.check({ ...real, status: 418 }).problems.join()).toMatch(/418 is not documented/);
  });
});

describe('every public route, through the gateway, answers as the document says', () => {
  it('when users are read (anonymous, as themselves, conditionally, paged), then 200/304 and the 400/401/404 cases conform', async () => {
    const ada = await signUp('ada');
    await signUp('bob');
    const anonymous = await call('GET', `/users/${ada.id}`);
    expect([anonymous.status, anonymous.body.email]).toEqual([200, undefined]);
    const own = await call('GET', `/users/${ada.id}`, { token: ada.token });
    expect([own.status, own.body.email]).toEqual([200, ada.email]);
    const etag = own.headers.get('etag') as string;
    expect((await call('GET', `/users/${ada.id}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    expect((await call('GET', '/users/not-a-uuid')).body.code).toBe('E_VALIDATION');
    expect((await call('GET', `/users/${randomUUID()}`)).body.code).toBe('E_USER_NOT_FOUND');
    expect((await call('GET', `/users/${ada.id}`, { token: 'not.a-token' })).body.code).toBe(
      'E_UNAUTHENTICATED',
    );

    const first = await call('GET', '/users?limit=1');
    expect([first.status, first.body.items.length]).toEqual([200, 1]);
    const next = await call('GET', `/users?limit=1&cursor=${first.body.nextCursor}`);
    expect(next.status).toBe(200);
    expect((await call('GET', '/users?limit=0')).body.errors).toHaveProperty('limit');
    expect((await call('GET', '/users?cursor=garbage')).status).toBe(400);
    expect((await call('GET', '/users?sort=name')).status).toBe(400);
    expect((await call('GET', '/users', { token: 'not.a-token' })).status).toBe(401);
  });

  it('when profiles are changed and deleted, then 200/204 and the 400/401/403/404/412/413/415 cases conform', async () => {
    const ada = await signUp('ada');
    const bob = await signUp('bob');
    const admin = await signUp('admin');
    expect((await grantAdmin(stack.auth, admin.email)).kind).toBe('granted');

    const changed = await call('PATCH', `/users/${ada.id}`, { token: ada.token, json: { bio: 'engines' } });
    expect([changed.status, changed.body.bio]).toEqual([200, 'engines']);
    const stale = await call('PATCH', `/users/${ada.id}`, {
      token: ada.token,
      json: { bio: 'again' },
      headers: { 'if-match': `"${changed.body.version - 1}"` },
    });
    expect([stale.status, stale.body.code, stale.headers.get('etag')]).toEqual([
      412,
      'E_VERSION_CONFLICT',
      `"${changed.body.version}"`,
    ]);
    expect(
      (await call('PATCH', `/users/${ada.id}`, { token: bob.token, json: { bio: 'x' } })).body.code,
    ).toBe('E_FORBIDDEN');
    expect((await call('PATCH', `/users/${ada.id}`, { json: { bio: 'x' } })).status).toBe(401);
    expect(
      (await call('PATCH', `/users/${ada.id}`, { token: ada.token, json: { age: 3 } })).body.errors,
    ).toHaveProperty('age');
    expect((await call('PATCH', `/users/${ada.id}`, { token: ada.token, json: {} })).status).toBe(400);
    expect((await call('PATCH', `/users/${ada.id}`, { token: ada.token, raw: '{"bio":' })).body.code).toBe(
      'E_MALFORMED_JSON',
    );
    expect(
      (await call('PATCH', `/users/${ada.id}`, { token: ada.token, raw: 'bio=x', contentType: 'text/plain' }))
        .status,
    ).toBe(415);
    const huge = JSON.stringify({ bio: 'x'.repeat(70 * 1024) });
    expect((await call('PATCH', `/users/${ada.id}`, { token: ada.token, raw: huge })).body.code).toBe(
      'E_PAYLOAD_TOO_LARGE',
    );
    expect(
      (await call('PATCH', `/users/${randomUUID()}`, { token: admin.token, json: { bio: 'x' } })).status,
    ).toBe(404);
    // A browser's cookie on a write from another site (no Origin, no Sec-Fetch-Site).
    expect(
      (await call('PATCH', `/users/${ada.id}`, { cookie: ada.token, json: { bio: 'x' } })).body.code,
    ).toBe('E_CSRF');

    expect((await call('DELETE', `/users/${ada.id}`, { token: bob.token })).status).toBe(403);
    expect((await call('DELETE', `/users/${randomUUID()}`, { token: admin.token })).status).toBe(404);
    expect((await call('DELETE', `/users/${ada.id}`)).status).toBe(401);
    expect((await call('DELETE', `/users/${ada.id}`, { token: ada.token })).status).toBe(204);
  });

  it('when accounts register and log in, then 201/200 and the 400/401/409/413/415 cases conform', async () => {
    const ada = await signUp('ada');
    const again = await call('POST', '/auth/register', {
      json: { email: ada.email, password: PASSWORD, name: 'A' },
    });
    expect(again.body.code).toBe('E_EMAIL_TAKEN');
    expect(
      (await call('POST', '/auth/register', { json: { email: 'nope', password: 'short', name: '' } })).body
        .errors,
    ).toHaveProperty('email');
    expect((await call('POST', '/auth/register', { raw: 'x', contentType: 'text/plain' })).status).toBe(415);
    expect(
      (await call('POST', '/auth/register', { raw: JSON.stringify({ name: 'x'.repeat(70_000) }) })).status,
    ).toBe(413);
    const wrong = await call('POST', '/auth/login', {
      json: { email: ada.email, password: 'wrong password 123' },
    });
    expect(wrong.body.code).toBe('E_INVALID_CREDENTIALS');
    expect((await call('POST', '/auth/login', { json: { email: ada.email } })).status).toBe(400);
  });

  it('when a signed-in user reads and manages their sessions, then 200/204 and the 400/401/404 cases conform', async () => {
    const ada = await signUp('ada');
    const second = await call('POST', '/auth/login', { json: { email: ada.email, password: PASSWORD } });
    const me = await call('GET', '/auth/me', { token: ada.token });
    expect([me.status, me.body.user.id, me.body.session.id]).toEqual([200, ada.id, ada.sessionId]);
    expect((await call('GET', '/auth/me')).status).toBe(401);
    const sessions = await call('GET', '/auth/sessions', { token: ada.token });
    expect(sessions.body.sessions).toHaveLength(2);
    expect((await call('GET', '/auth/sessions')).status).toBe(401);
    expect(
      (await call('DELETE', `/auth/sessions/${second.body.session.id}`, { token: ada.token })).status,
    ).toBe(204);
    expect((await call('DELETE', `/auth/sessions/${'A'.repeat(38)}`, { token: ada.token })).status).toBe(404);
    expect((await call('DELETE', '/auth/sessions/short', { token: ada.token })).status).toBe(400);
    expect((await call('DELETE', `/auth/sessions/${ada.sessionId}`)).status).toBe(401);
  });

  it('when passwords change and sessions end, then 200/204 and the 400/401/403 cases conform', async () => {
    const ada = await signUp('ada');
    const wrong = await call('POST', '/auth/password', {
      token: ada.token,
      json: { currentPassword: 'not the password 1', newPassword: 'a brand new password' },
    });
    expect(wrong.body.code).toBe('E_INVALID_CREDENTIALS');
    const tooShort = await call('POST', '/auth/password', {
      token: ada.token,
      json: { currentPassword: PASSWORD, newPassword: 'short' },
    });
    expect(tooShort.body.errors).toHaveProperty('newPassword');
    expect(
      (await call('POST', '/auth/password', { json: { currentPassword: PASSWORD, newPassword: 'x' } }))
        .status,
    ).toBe(401);
    const changed = await call('POST', '/auth/password', {
      token: ada.token,
      json: { currentPassword: PASSWORD, newPassword: 'a brand new password' },
    });
    expect(changed.status).toBe(200);
    expect((await call('POST', '/auth/logout-all', { cookie: changed.body.token })).body.code).toBe('E_CSRF');
    expect((await call('POST', '/auth/logout-all')).status).toBe(401);
    expect((await call('POST', '/auth/logout-all', { token: changed.body.token })).status).toBe(204);

    const bob = await signUp('bob');
    expect((await call('POST', '/auth/logout', { token: bob.token })).status).toBe(204);
    expect((await call('POST', '/auth/logout')).status).toBe(204);
  });

  it('when an admin changes accounts, then 200 and the 400/401/403/404 cases conform; a pro user past the quota gets 429', async () => {
    const admin = await signUp('admin');
    expect((await grantAdmin(stack.auth, admin.email)).kind).toBe('granted');
    const carol = await signUp('carol');
    const path = `/auth/accounts/${carol.id}`;
    expect((await call('PATCH', path, { token: carol.token, json: { tier: 'pro' } })).body.code).toBe(
      'E_FORBIDDEN',
    );
    expect((await call('PATCH', path, { json: { tier: 'pro' } })).status).toBe(401);
    expect((await call('PATCH', path, { token: admin.token, json: {} })).status).toBe(400);
    expect((await call('PATCH', path, { token: admin.token, json: { tier: 'gold' } })).status).toBe(400);
    expect(
      (await call('PATCH', `/auth/accounts/${randomUUID()}`, { token: admin.token, json: { tier: 'pro' } }))
        .status,
    ).toBe(404);
    const pro = await call('PATCH', path, { token: admin.token, json: { tier: 'pro' } });
    expect([pro.status, pro.body.account.tier]).toEqual([200, 'pro']);

    // Carol is now `pro`, whose test quota is one request an hour: the first passes (once her session reads
    // the new tier), then every route refuses with 429 and the policy's RateLimit fields.
    const limited = async () => {
      for (let i = 0; i < 50; i++) {
        const answer = await call('GET', '/auth/me', { token: carol.token });
        if (answer.status === 429) return answer;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('never limited');
    };
    const refused = await limited();
    expect(refused.body['violated-policies']).toEqual(['contract-pro']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(
      (await call('PATCH', `/users/${carol.id}`, { token: carol.token, json: { bio: 'x' } })).status,
    ).toBe(429);
    expect((await call('GET', '/users', { token: carol.token })).status).toBe(429);
  });

  it('when /healthz is asked, then 200 as documented', async () => {
    expect((await call('GET', '/healthz')).body).toEqual({ status: 'ok' });
  });

  it('when every request above was made, then every operation was met with each documented success and the main errors', () => {
    const operations = Object.values(
      served.paths as Record<string, Record<string, { operationId: string; responses: object }>>,
    )
      .flatMap((item) => Object.values(item))
      .map((op) => ({
        id: op.operationId,
        successes: Object.keys(op.responses).filter((s) => s.startsWith('2') || s === '304'),
      }));
    const met = new Set(seen.map((v) => `${v.operationId} ${v.status}`));
    const missing = operations
      .flatMap((op) => op.successes.map((s) => `${op.id} ${s}`))
      .filter((k) => !met.has(k));
    expect(missing).toEqual([]);
    const statuses = new Set(seen.map((v) => v.status));
    for (const status of [400, 401, 403, 404, 409, 412, 413, 415, 429])
      expect(statuses, String(status)).toContain(status);
  });
});
