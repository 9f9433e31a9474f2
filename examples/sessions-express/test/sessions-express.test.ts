import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, type RedisServer, startRedisServer } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningExample, startExample } from '../src/server';

// The example against a Redis of its own: in-process through the same start function main.ts calls, and
// as a user runs it, the compiled program with REDIS_URL.
let redis: RedisServer;
let example: RunningExample;
beforeAll(async () => {
  redis = await startRedisServer();
  example = await startExample({ redisUrl: redis.url, port: 0 });
});
afterAll(async () => {
  await example?.close();
  await redis?.stop();
});

/**
 * One request; a 503 is asked again (up to 3 times): on a loaded test machine a session check can miss the
 * reader's 100 ms deadline, and 503 is then the right answer, but not the one these tests are about.
 */
async function call(
  base: string,
  method: string,
  route: string,
  options: { token?: string; cookie?: string; body?: unknown } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${route}`, { method, headers, body });
    if (res.status !== 503 || attempt === 3) return res;
  }
}

async function signIn(base: string, name: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/sign-in', { body: { name, password } });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

describe('the sessions-express example', () => {
  it('when a user signs in, then the cookie is set and /me answers with the token as bearer or cookie', async () => {
    const res = await call(example.url, 'POST', '/sign-in', {
      body: { name: 'ada', password: 'correct horse battery staple' },
    });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    expect(res.headers.get('set-cookie')).toBe(`__Host-sid=${token}; Path=/; HttpOnly; Secure; SameSite=Lax`);
    const me = await call(example.url, 'GET', '/me', { token });
    expect(await me.json()).toMatchObject({ name: 'ada', role: 'admin' });
    expect(me.status).toBe(200);
    const byCookie = await call(example.url, 'GET', '/me', { cookie: `__Host-sid=${token}` });
    expect(((await byCookie.json()) as { name: string }).name).toBe('ada');
  });

  it('when the password is wrong or no session is sent, then sign-in and /me answer 401', async () => {
    expect(
      (await call(example.url, 'POST', '/sign-in', { body: { name: 'ada', password: 'no' } })).status,
    ).toBe(401);
    const me = await call(example.url, 'GET', '/me');
    expect(me.status).toBe(401);
    expect(await me.json()).toMatchObject({ code: 'E_UNAUTHENTICATED' });
    expect((await call(example.url, 'GET', '/health')).status).toBe(200);
  });

  it('when a user signs out, then that token is refused and the other session lives on', async () => {
    const first = await signIn(example.url, 'grace', 'cobol forever');
    const second = await signIn(example.url, 'grace', 'cobol forever');
    const listed = await call(example.url, 'GET', '/me/sessions', { token: first });
    expect(((await listed.json()) as unknown[]).length).toBeGreaterThanOrEqual(2);
    const out = await call(example.url, 'POST', '/sign-out', { token: first });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-sid=; Path=\/; Expires=Thu, 01 Jan 1970/);
    expect((await call(example.url, 'GET', '/me', { token: first })).status).toBe(401);
    expect((await call(example.url, 'GET', '/me', { token: second })).status).toBe(200);
  });

  it('when the password changes, then every session of the account ends at once', async () => {
    const own = await startExample({ redisUrl: redis.url, port: 0 });
    try {
      const a = await signIn(own.url, 'grace', 'cobol forever');
      const b = await signIn(own.url, 'grace', 'cobol forever');
      const change = await call(own.url, 'POST', '/me/password', {
        token: a,
        body: { password: 'fortran too' },
      });
      expect(change.status).toBe(204);
      expect((await call(own.url, 'GET', '/me', { token: a })).status).toBe(401);
      expect((await call(own.url, 'GET', '/me', { token: b })).status).toBe(401);
      expect(
        (await call(own.url, 'GET', '/me', { token: await signIn(own.url, 'grace', 'fortran too') })).status,
      ).toBe(200);
    } finally {
      await own.close();
    }
  });
});

describe('the compiled example program', () => {
  const main = path.join(__dirname, '..', 'dist', 'main.js');
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('when started with REDIS_URL and PORT, then it signs in and guards /me, and exits 0 on SIGTERM', async () => {
    if (!fs.existsSync(main))
      throw new Error('run `npm run build` before this test: the example is compiled');
    const port = await freePort();
    const proc = spawn(process.execPath, [main], {
      env: { ...process.env, REDIS_URL: redis.url, PORT: String(port), SECURE_COOKIE: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const found = /listening on (\S+)/.exec(out);
        if (found) resolve(found[1] as string);
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code} before listening`)));
    });
    expect(url).toBe(`http://127.0.0.1:${port}`);
    const res = await call(url, 'POST', '/sign-in', {
      body: { name: 'ada', password: 'correct horse battery staple' },
    });
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^sid=[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
    const me = await call(url, 'GET', '/me', { cookie: setCookie.split(';')[0] as string });
    expect(me.status).toBe(200);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
