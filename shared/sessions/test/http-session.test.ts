import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expressSession,
  httpSession,
  SessionCookie,
  SessionReader,
  type SessionRefusal,
  SessionStore,
  sessionOf,
} from '../src';
import { anAccount, created } from './support/backends';

let server: RedisServer;
let redis: Redis;
let store: SessionStore;
let reader: SessionReader;
beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url, { lazyConnect: true, enableOfflineQueue: false });
  await redis.connect();
  store = new SessionStore({ redis });
  reader = new SessionReader({ redis });
});
afterAll(async () => {
  reader.close();
  redis.disconnect();
  await server.stop();
});

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const s = http.createServer(handler).listen(0, '127.0.0.1');
  await new Promise((resolve) => s.once('listening', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => s.close(() => resolve())),
  };
}

function expressApp(r: Pick<SessionReader, 'validate'>, options = {}) {
  const app = express();
  app.get('/me', expressSession(r, options), (req, res) => {
    res.json({ userId: sessionOf(req)?.userId ?? null });
  });
  app.use((error: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: error.message });
  });
  return app;
}

describe('expressSession', () => {
  it('when a request carries a valid token as bearer or cookie, then the route sees its session', async () => {
    const account = anAccount();
    const { token } = await created(store, account);
    const app = await listen(expressApp(reader));
    try {
      const bearer = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(await bearer.json()).toEqual({ userId: account.userId });
      const cookie = await fetch(`${app.url}/me`, { headers: { cookie: `__Host-sid=${token}` } });
      expect(await cookie.json()).toEqual({ userId: account.userId });
    } finally {
      await app.close();
    }
  });

  it('when a request has no token or a revoked one, then it gets a 401 problem+json', async () => {
    const { token } = await created(store, anAccount());
    await store.revokeToken(token);
    const app = await listen(expressApp(reader));
    try {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: `Bearer ${token}` },
        { cookie: 'sid=x' },
      ];
      for (const headers of attempts) {
        const res = await fetch(`${app.url}/me`, { headers });
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
        expect(res.headers.get('www-authenticate')).toBe('Bearer');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.json()).toMatchObject({ status: 401, code: 'E_UNAUTHENTICATED' });
      }
    } finally {
      await app.close();
    }
  });

  it('when required is false, then a request without a valid session goes on anonymous', async () => {
    const app = await listen(expressApp(reader, { required: false }));
    try {
      const res = await fetch(`${app.url}/me`, { headers: { authorization: 'Bearer nonsense' } });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ userId: null });
    } finally {
      await app.close();
    }
  });

  it('when the reader fails with something other than Redis being unreachable, then next(error) gets it', async () => {
    const broken = { validate: () => Promise.reject(new Error('unexpected reply')) };
    const app = await listen(expressApp(broken));
    try {
      const res = await fetch(`${app.url}/me`, { headers: { authorization: 'Bearer x' } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'unexpected reply' });
    } finally {
      await app.close();
    }
  });

  it('when the options are wrong, then the middleware is not built', () => {
    expect(() => expressSession(reader, { cookieName: 'a b' })).toThrow(/cookieName/);
    expect(() => expressSession(reader, { required: 'yes' as unknown as boolean })).toThrow(/required/);
  });
});

describe('httpSession and SessionCookie', () => {
  it('when a node:http server signs in with the cookie and signs out, then the guard follows the cookie', async () => {
    const account = anAccount();
    const cookie = new SessionCookie({ secure: false });
    const refusals: SessionRefusal[] = [];
    const guard = httpSession(reader, {
      cookieName: cookie.name,
      onRefused: (_req, res, refusal) => {
        refusals.push(refusal);
        res.statusCode = refusal.status;
        res.end();
      },
    });
    const app = await listen(async (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/login') {
        const signedIn = await created(store, account);
        cookie.set(res, signedIn.token);
        return void res.end();
      }
      if (!(await guard(req, res))) return;
      if (req.url === '/logout') {
        const token = req.headers.cookie?.split('=')[1] ?? '';
        await store.revokeToken(token);
        cookie.clear(res);
        return void res.end();
      }
      res.end(sessionOf(req)?.userId);
    });
    try {
      const login = await fetch(`${app.url}/login`);
      const setCookie = login.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^sid=[\w-]+\.[\w-]+; Path=\/; HttpOnly; SameSite=Lax$/);
      const jar = setCookie.split(';')[0] as string;
      expect(await (await fetch(`${app.url}/me`, { headers: { cookie: jar } })).text()).toBe(account.userId);
      const logout = await fetch(`${app.url}/logout`, { headers: { cookie: jar } });
      expect(logout.headers.get('set-cookie')).toBe(
        'sid=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax',
      );
      expect((await fetch(`${app.url}/me`, { headers: { cookie: jar } })).status).toBe(401);
      expect(refusals).toEqual([{ status: 401, reason: 'unknown' }]);
    } finally {
      await app.close();
    }
  });

  it('when the secure cookie is written, then it is the __Host- cookie the reader looks for by default', () => {
    const cookie = new SessionCookie();
    expect(cookie.name).toBe('__Host-sid');
    expect(cookie.serialize('a.b')).toBe('__Host-sid=a.b; Path=/; HttpOnly; Secure; SameSite=Lax');
  });
});

describe('when Redis cannot answer', () => {
  it('when Redis is gone, then the middleware answers 503 problem+json even with required false, and the breaker opens', async () => {
    const own = await startRedisServer();
    const client = new Redis(own.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    client.on('error', () => {});
    await client.connect();
    const ownStore = new SessionStore({ redis: client });
    const ownReader = new SessionReader({ redis: client, breaker: { minimumCalls: 5 } });
    const { token } = await created(ownStore, anAccount());
    await own.stop();
    const app = await listen(expressApp(ownReader, { required: false }));
    try {
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${app.url}/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await res.json()).toMatchObject({ status: 503, code: 'E_UNAVAILABLE' });
      }
      await expect(ownReader.validate(token)).rejects.toMatchObject({ name: 'CircuitOpenError' });
    } finally {
      await app.close();
      ownReader.close();
      client.disconnect();
    }
  });
});
