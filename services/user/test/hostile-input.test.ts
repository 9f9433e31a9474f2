import { PROTOTYPE_KEYS } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAuthService, asUser, createUser, standaloneInstance } from './support/user-stack';

// Keys named like members of Object.prototype once reached `obj[key] ?? …` in the error mapping and
// answered 500. Each must be an ordinary unknown field now: 400 E_VALIDATION naming the field.

let service: Awaited<ReturnType<typeof standaloneInstance>>;
let url: string;

beforeAll(async () => {
  service = await standaloneInstance();
  url = service.url;
});
afterAll(() => service?.close());

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { code: string; errors?: Record<string, string[]> };
}

const rowCount = async () =>
  Number((await service.instance.runtime.pool.query('SELECT count(*) AS n FROM users.users')).rows[0]?.n);

describe('prototype-named keys', () => {
  it('when a query string names a prototype member, then GET /users answers 400 naming it', async () => {
    for (const key of PROTOTYPE_KEYS) {
      const res = await fetch(`${url}/users?${encodeURIComponent(key)}=1`);
      expect(res.status, key).toBe(400);
      const body = await problem(res);
      expect(body.code).toBe('E_VALIDATION');
      expect(Object.keys(body.errors ?? {}), key).toEqual([key]);
    }
  });

  it('when a PATCH body has a prototype-named key, then 400 naming it and the row is unchanged', async () => {
    const id = await createUser(url);
    const headers = { 'content-type': 'application/json', ...(await asUser(id)) };
    for (const key of PROTOTYPE_KEYS) {
      const res = await fetch(`${url}/users/${id}`, {
        method: 'PATCH',
        headers,
        body: `{"bio":"changed",${JSON.stringify(key)}:{"x":1}}`,
      });
      expect(res.status, key).toBe(400);
      expect(Object.keys((await problem(res)).errors ?? {}), key).toEqual([key]);
    }
    const read = await fetch(`${url}/users/${id}`, { headers: await asUser(id) });
    expect(await read.json()).toMatchObject({ bio: '', version: 1 });
  });

  it('when a nested or only prototype-named body reaches the internal create, then 400 and no row', async () => {
    const before = await rowCount();
    const headers = { 'content-type': 'application/json', ...(await asAuthService()) };
    for (const key of PROTOTYPE_KEYS) {
      const res = await fetch(`${url}/internal/users`, {
        method: 'POST',
        headers,
        body: `{${JSON.stringify(key)}:"x"}`,
      });
      expect(res.status, key).toBe(400);
      expect((await problem(res)).errors?.[key], key).toEqual(['Unknown field']);
    }
    expect(await rowCount()).toBe(before);
  });

  it('when headers are named like prototype members, then they change nothing', async () => {
    const id = await createUser(url);
    const res = await fetch(`${url}/users/${id}`, {
      headers: { constructor: 'x', __proto__: 'y', toString: 'z', 'if-none-match': '"0"' },
    });
    expect(res.status).toBe(200);
  });
});

describe('names the database cannot store', () => {
  it('when a name or bio holds a control character or a lone surrogate, then 400 and the row is unchanged', async () => {
    const id = await createUser(url);
    const headers = { 'content-type': 'application/json', ...(await asUser(id)) };
    const cases = [
      { name: 'A\u0000B' },
      { name: 'A\tB' },
      { name: 'A\nB' },
      { name: 'A\u007fB' },
      { name: 'A\ud800B' },
      { bio: 'nul \u0000' },
      { bio: 'lone \udc00' },
    ];
    for (const body of cases) {
      const res = await fetch(`${url}/users/${id}`, { method: 'PATCH', headers, body: JSON.stringify(body) });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const read = await fetch(`${url}/users/${id}`, { headers: await asUser(id) });
    expect(await read.json()).toMatchObject({ name: 'Ada', version: 1 });
  });
});

describe('responses that differ by viewer', () => {
  it('when a profile is read by its owner, an admin, another user or nobody, then every answer is private, varies on the credentials and carries the version ETag', async () => {
    const id = await createUser(url);
    const viewers: [string, Record<string, string>, boolean][] = [
      ['anonymous', {}, false],
      ['owner', await asUser(id), true],
      ['admin', await asUser(crypto.randomUUID(), 'admin'), true],
      ['someone else', await asUser(crypto.randomUUID()), false],
    ];
    for (const [who, headers, seesEmail] of viewers) {
      const res = await fetch(`${url}/users/${id}`, { headers });
      expect(res.status, who).toBe(200);
      expect(res.headers.get('cache-control'), who).toBe('private, no-cache');
      expect(res.headers.get('vary'), who).toBe('Authorization, Cookie');
      expect(res.headers.get('etag'), who).toBe('"1"');
      expect('email' in ((await res.json()) as object), who).toBe(seesEmail);
      // The revalidation answer carries the same headers and no body, so it discloses nothing.
      const revalidated = await fetch(`${url}/users/${id}`, {
        headers: { ...headers, 'if-none-match': '"1"' },
      });
      expect(revalidated.status, who).toBe(304);
      expect(revalidated.headers.get('cache-control'), who).toBe('private, no-cache');
      expect(revalidated.headers.get('vary'), who).toBe('Authorization, Cookie');
      expect(await revalidated.text(), who).toBe('');
    }
  });

  it('when the list is read, then it is private and varies on the credentials; a problem is no-store', async () => {
    const list = await fetch(`${url}/users?limit=2`);
    expect(list.headers.get('cache-control')).toBe('private, no-cache');
    expect(list.headers.get('vary')).toBe('Authorization, Cookie');
    const missing = await fetch(`${url}/users/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).toBe('no-store');
  });

  it('when a PATCH answers with the profile, then it is marked the same way', async () => {
    const id = await createUser(url);
    const res = await fetch(`${url}/users/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(await asUser(id)) },
      body: JSON.stringify({ bio: 'hi' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(res.headers.get('etag')).toBe('"2"');
  });
});
