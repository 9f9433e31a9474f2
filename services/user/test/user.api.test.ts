import { IdentitySigner } from '@redwire/http-kit';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asAuthService,
  asUser,
  bodyOf,
  createUser,
  migratedDatabase,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
} from './support/user-stack';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let instance: UserInstance;
let url: string;

beforeAll(async () => {
  db = await migratedDatabase();
  instance = await startInstance(testConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: namespace() }));
  url = instance.url;
});
afterAll(async () => {
  await instance?.close();
  await db?.drop();
});

const json = (headers: Record<string, string> = {}) => ({ 'content-type': 'application/json', ...headers });

async function patch(id: string, body: unknown, headers: Record<string, string>) {
  return fetch(`${url}/users/${id}`, {
    method: 'PATCH',
    headers: json(headers),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('GET /users/:id', () => {
  it('when a user reads their own profile twice, then it is a MISS then a HIT with ETag and email', async () => {
    const id = await createUser(url);
    const first = await fetch(`${url}/users/${id}`, { headers: await asUser(id) });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.headers.get('etag')).toBe('"1"');
    expect(await bodyOf(first)).toMatchObject({
      id,
      email: `${id}@example.com`,
      name: 'Ada',
      bio: '',
      version: 1,
    });
    const second = await fetch(`${url}/users/${id}`, { headers: await asUser(id) });
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(second.headers.get('x-request-id')).toBeTruthy();
  });

  it('when someone else or nobody reads it, then email is absent; an admin sees it', async () => {
    const id = await createUser(url);
    const anonymous = await bodyOf(await fetch(`${url}/users/${id}`));
    expect(anonymous).not.toHaveProperty('email');
    const other = await bodyOf(await fetch(`${url}/users/${id}`, { headers: await asUser(uuidv7()) }));
    expect(other).not.toHaveProperty('email');
    const admin = await bodyOf(
      await fetch(`${url}/users/${id}`, { headers: await asUser(uuidv7(), 'admin') }),
    );
    expect(admin.email).toBe(`${id}@example.com`);
  });

  it('when the id is unknown, then 404 E_USER_NOT_FOUND, answered from the negative cache the second time', async () => {
    const id = uuidv7();
    const first = await fetch(`${url}/users/${id}`);
    expect(first.status).toBe(404);
    expect(first.headers.get('content-type')).toContain('application/problem+json');
    expect((await bodyOf(first)).code).toBe('E_USER_NOT_FOUND');
    const second = await fetch(`${url}/users/${id}`);
    expect(second.status).toBe(404);
    expect(second.headers.get('x-cache')).toBe('HIT');
  });

  it('when If-None-Match carries the current ETag, then 304', async () => {
    const id = await createUser(url);
    const res = await fetch(`${url}/users/${id}`, { headers: { 'if-none-match': '"1"' } });
    expect(res.status).toBe(304);
  });
});

describe('writes', () => {
  it('when a user patches their profile, then the version is bumped and the next read sees it', async () => {
    const id = await createUser(url);
    await fetch(`${url}/users/${id}`); // cache it
    const res = await patch(id, { name: '  Grace  ', bio: 'hi' }, await asUser(id));
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"2"');
    expect(await bodyOf(res)).toMatchObject({ name: 'Grace', bio: 'hi', version: 2 });
    const read = await fetch(`${url}/users/${id}`);
    expect(read.headers.get('x-cache')).toBe('MISS');
    expect(await bodyOf(read)).toMatchObject({ name: 'Grace', version: 2 });
  });

  it('when If-Match names another version, then 412 and nothing changes; the current one passes', async () => {
    const id = await createUser(url);
    const headers = await asUser(id);
    const stale = await patch(id, { name: 'X' }, { ...headers, 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect((await bodyOf(stale)).code).toBe('E_VERSION_CONFLICT');
    expect((await patch(id, { name: 'X' }, { ...headers, 'if-match': 'W/"1"' })).status).toBe(412);
    expect((await patch(id, { name: 'Y' }, { ...headers, 'if-match': '"1"' })).status).toBe(200);
    expect((await patch(id, { name: 'Z' }, { ...headers, 'if-match': '*' })).status).toBe(200);
  });

  it('when a user deletes their profile, then it is gone and a second delete is 404', async () => {
    const id = await createUser(url);
    await fetch(`${url}/users/${id}`);
    const headers = await asUser(id);
    expect((await fetch(`${url}/users/${id}`, { method: 'DELETE', headers })).status).toBe(204);
    expect((await fetch(`${url}/users/${id}`)).status).toBe(404);
    expect((await fetch(`${url}/users/${id}`, { method: 'DELETE', headers })).status).toBe(404);
  });

  it('when an admin patches or deletes another user, then it is allowed', async () => {
    const id = await createUser(url);
    const admin = await asUser(uuidv7(), 'admin');
    expect((await patch(id, { bio: 'by admin' }, admin)).status).toBe(200);
    expect((await fetch(`${url}/users/${id}`, { method: 'DELETE', headers: admin })).status).toBe(204);
  });
});

describe('identity', () => {
  it('when a write has no identity, then 401; another user, then 403', async () => {
    const id = await createUser(url);
    expect((await patch(id, { name: 'x' }, {})).status).toBe(401);
    const forbidden = await patch(id, { name: 'x' }, await asUser(uuidv7()));
    expect(forbidden.status).toBe(403);
    expect((await bodyOf(forbidden)).code).toBe('E_FORBIDDEN');
  });

  it('when a client forges X-Redwire-Identity (unsigned, other key, other audience), then it cannot patch another user', async () => {
    const victim = await createUser(url, 'Victim');
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      sub: victim,
      role: 'admin',
      tier: 'pro',
      sid: 's',
      aud: 'user',
      iat: now,
      exp: now + 30,
    };
    const unsigned = `${b64({ alg: 'none', typ: 'redwire-identity+jwt' })}.${b64(claims)}.`;
    const otherKey = await new IdentitySigner({ key: 'another-key-that-is-at-least-32-bytes-long!' }).sign(
      { sub: victim, role: 'admin', tier: 'pro', sid: 's' },
      'user',
    );
    const wrongAudience = (await asUser(victim, 'admin'))['x-redwire-identity'] as string;
    const forAuth = await new IdentitySigner({ key: 'test-identity-signing-key-0123456789abcdef' }).sign(
      { sub: victim, role: 'admin', tier: 'pro', sid: 's' },
      'auth',
    );
    for (const token of [unsigned, otherKey, forAuth, `${wrongAudience}x`, 'garbage']) {
      const res = await patch(victim, { name: 'pwned' }, { 'x-redwire-identity': token });
      expect(res.status).toBe(401);
    }
    expect(await bodyOf(await fetch(`${url}/users/${victim}`))).toMatchObject({
      name: 'Victim',
      version: 1,
    });
  });

  it('when an invalid token is sent on a read, then 401, never anonymous', async () => {
    const id = await createUser(url);
    const res = await fetch(`${url}/users/${id}`, { headers: { 'x-redwire-identity': 'garbage' } });
    expect(res.status).toBe(401);
  });
});

describe('internal API', () => {
  it('when auth creates the same id twice, then it is idempotent; another id with that email is 409', async () => {
    const id = uuidv7();
    const headers = json(await asAuthService());
    const body = { id, email: `  ${id.toUpperCase()}@Example.COM `, name: 'Ada' };
    const first = await fetch(`${url}/internal/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(first.status).toBe(201);
    expect((await bodyOf(first)).email).toBe(`${id}@example.com`);
    const again = await fetch(`${url}/internal/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    expect(again.status).toBe(200);
    const taken = await fetch(`${url}/internal/users`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, id: uuidv7() }),
    });
    expect(taken.status).toBe(409);
    expect((await bodyOf(taken)).code).toBe('E_EMAIL_TAKEN');
  });

  it('when a user token calls the internal API, then 403; without a token, 401', async () => {
    const id = uuidv7();
    const body = JSON.stringify({ id, email: `${id}@example.com`, name: 'A' });
    const asUserRes = await fetch(`${url}/internal/users`, {
      method: 'POST',
      headers: json(await asUser(id, 'admin')),
      body,
    });
    expect(asUserRes.status).toBe(403);
    expect((await fetch(`${url}/internal/users`, { method: 'POST', headers: json(), body })).status).toBe(
      401,
    );
  });

  it('when auth deletes a user for compensation, then 204 and again 204', async () => {
    const id = await createUser(url);
    const headers = await asAuthService();
    expect((await fetch(`${url}/internal/users/${id}`, { method: 'DELETE', headers })).status).toBe(204);
    expect((await fetch(`${url}/internal/users/${id}`, { method: 'DELETE', headers })).status).toBe(204);
    expect((await fetch(`${url}/users/${id}`)).status).toBe(404);
  });
});

describe('list', () => {
  it('when users are listed page by page, then every user appears once in id order', async () => {
    for (let i = 0; i < 5; i++) await createUser(url);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await fetch(`${url}/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        items: { id: string; email?: string }[];
        nextCursor: string | null;
      };
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const item of page.items) expect(item).not.toHaveProperty('email');
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(5);
  });
});

describe('bad input', () => {
  it('when any input breaks the rules of docs/api.md, then 4xx problem+json, never 5xx', async () => {
    const id = await createUser(url);
    const me = await asUser(id);
    const service = await asAuthService();
    const big = JSON.stringify({ bio: 'x'.repeat(70 * 1024) });
    const cases: [string, RequestInit, number][] = [
      ['/users/not-a-uuid', {}, 400],
      ['/users/123', {}, 400],
      [`/users/${id}x`, {}, 400],
      ['/users/%E0%A4%A', {}, 400],
      ['/users?limit=0', {}, 400],
      ['/users?limit=101', {}, 400],
      ['/users?limit=abc', {}, 400],
      ['/users?limit=1.5', {}, 400],
      ['/users?limit=-1', {}, 400],
      ['/users?limit=', {}, 400],
      ['/users?limit=1&limit=2', {}, 400],
      ['/users?cursor=garbage!', {}, 400],
      ['/users?cursor=Zm9v', {}, 400],
      ['/users?other=1', {}, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":""}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":"   "}' }, 400],
      [
        `/users/${id}`,
        { method: 'PATCH', headers: json(me), body: JSON.stringify({ name: 'x'.repeat(101) }) },
        400,
      ],
      [
        `/users/${id}`,
        { method: 'PATCH', headers: json(me), body: JSON.stringify({ bio: 'x'.repeat(1001) }) },
        400,
      ],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":null}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":42}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":"a\\u0000b"}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"bio":"a\\u0000b"}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"email":"x@y.z"}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"version":9}' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '[]' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '"str"' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: '{"name":' }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: json(me) }, 400],
      [`/users/${id}`, { method: 'PATCH', headers: { ...me, 'content-type': 'text/plain' }, body: 'x' }, 415],
      [`/users/${id}`, { method: 'PATCH', headers: json(me), body: big }, 413],
      [
        `/users/${id}`,
        { method: 'PATCH', headers: json({ ...me, 'if-match': 'nonsense' }), body: '{"name":"a"}' },
        400,
      ],
      ['/internal/users', { method: 'POST', headers: json(service), body: '{}' }, 400],
      [
        '/internal/users',
        {
          method: 'POST',
          headers: json(service),
          body: JSON.stringify({ id: 'x', email: 'a@b.c', name: 'a' }),
        },
        400,
      ],
      [
        '/internal/users',
        {
          method: 'POST',
          headers: json(service),
          body: JSON.stringify({ id: uuidv7(), email: 'not-an-email', name: 'a' }),
        },
        400,
      ],
      [
        '/internal/users',
        {
          method: 'POST',
          headers: json(service),
          body: JSON.stringify({ id: uuidv7(), email: `${'a'.repeat(250)}@b.co`, name: 'a' }),
        },
        400,
      ],
      ['/internal/users/not-a-uuid', { method: 'DELETE', headers: service }, 400],
      ['/nope', {}, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${url}${path}`, init);
      expect({ path, body: init.body?.toString().slice(0, 40), status: res.status }).toEqual({
        path,
        body: init.body?.toString().slice(0, 40),
        status,
      });
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});

describe('operations', () => {
  it('when /healthz, /readyz and /metrics are requested, then they answer with the cache series', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await bodyOf(ready)).checks).toMatchObject({
      postgres: { status: 'ok' },
      redis: { status: 'ok' },
    });
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const series of [
      'redwire_user_cache_requests_total',
      'redwire_user_cache_fills_total',
      'redwire_user_cache_invalidations_total',
      'redwire_user_cache_invalidation_lag_seconds',
      'redwire_user_cache_breaker_state',
      'redwire_circuit_breaker_state',
      'redwire_user_outbox_backlog',
      'redwire_user_stream_pending',
    ]) {
      expect(text).toContain(series);
    }
  });
});
