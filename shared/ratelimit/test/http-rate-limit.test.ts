import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@redwire/launchers';
import { createRedisClient, InvalidOptionsError, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import express from 'express';
import { parseList } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expressRateLimit,
  httpRateLimit,
  type PolicyOptions,
  QUOTA_EXCEEDED_TYPE,
  RateLimiter,
  TEMPORARY_REDUCED_CAPACITY_TYPE,
} from '../src';
import { testPrefix } from './support/test-keys';

let redis: RedisClient;
const closers: (() => unknown)[] = [];
beforeAll(async () => {
  redis = createRedisClient({
    url: sharedServers().redisUrl,
    service: 'ratelimit-test',
    commandTimeoutMs: 5000,
  });
  await waitForReady(redis);
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  redis.disconnect();
});

function limiterFor(policies: PolicyOptions[], client: RedisClient = redis): RateLimiter {
  const limiter = new RateLimiter({ redis: client, policies, prefix: testPrefix(), deadlineMs: 2000 });
  closers.push(() => limiter.close());
  return limiter;
}

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const apiKey = (req: IncomingMessage) => req.headers['x-api-key']?.toString();
const as = (key: string) => ({ headers: { 'x-api-key': key } });

describe('expressRateLimit', () => {
  it('when a key spends its quota, then answers carry draft-10 headers and the next one is a 429 problem+json', async () => {
    const limiter = limiterFor([{ name: 'per-key', limit: 2, period: 60 }]);
    const app = express();
    app.use(expressRateLimit(limiter, { key: apiKey }));
    app.get('/', (_req, res) => res.json({ ok: true }));
    const url = await listen(app);

    for (const remaining of [1, 0]) {
      const ok = await fetch(url, as('k1'));
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('"per-key";q=2;w=60');
      const [[name, params] = []] = parseList(ok.headers.get('ratelimit') as string);
      expect([name, params?.get('r')]).toEqual(['per-key', remaining]);
    }
    const refused = await fetch(url, as('k1'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('ratelimit')).toMatch(/^"per-key";r=0;t=\d+$/);
    expect(await refused.json()).toMatchObject({
      type: QUOTA_EXCEEDED_TYPE,
      status: 429,
      code: 'E_RATE_LIMITED',
      'violated-policies': ['per-key'],
    });
    // Another key has its own quota.
    expect((await fetch(url, as('k2'))).status).toBe(200);
  });

  it('when the key function returns undefined, then the request goes through unlimited and without headers', async () => {
    const limiter = limiterFor([{ name: 'per-key', limit: 1, period: 60 }]);
    const app = express();
    app.use(expressRateLimit(limiter, { key: apiKey }));
    app.get('/', (_req, res) => res.json({ ok: true }));
    const url = await listen(app);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit')).toBeNull();
    }
  });

  it('when the key function returns an empty string, then the error goes to next() and nothing is decided', async () => {
    const limiter = limiterFor([{ name: 'per-key', limit: 1, period: 60 }]);
    const seen: unknown[] = [];
    const app = express();
    app.use(expressRateLimit(limiter, { key: () => '' }));
    app.get('/', (_req, res) => res.json({ ok: true }));
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      seen.push(error);
      res.status(500).end();
    });
    const url = await listen(app);
    expect((await fetch(url)).status).toBe(500);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(TypeError);
  });

  it('when a cost function and a custom refusal are given, then the request spends that cost and the hook answers', async () => {
    const limiter = limiterFor([{ name: 'units', limit: 10, period: 3600 }]);
    const app = express();
    app.use(
      expressRateLimit(limiter, {
        key: apiKey,
        cost: (req) => Number(req.headers['x-cost'] ?? 1),
        onRefused: (_req, res, decision) => {
          res.statusCode = 429;
          res.end(`no: ${decision.violated.join(',')} after ${decision.retryAfterMs} ms`);
        },
      }),
    );
    app.get('/', (_req, res) => res.json({ ok: true }));
    const url = await listen(app);
    const heavy = await fetch(url, { headers: { 'x-api-key': 'k', 'x-cost': '8' } });
    expect(heavy.headers.get('ratelimit')).toMatch(/^"units";r=2;/);
    const refused = await fetch(url, { headers: { 'x-api-key': 'k', 'x-cost': '3' } });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toMatch(/^no: units after \d+ ms$/);
  });
});

describe('httpRateLimit', () => {
  it('when used in a node:http handler, then it resolves true to go on and false once it has answered', async () => {
    const limiter = limiterFor([{ name: 'per-key', limit: 1, period: 60 }]);
    const limited = httpRateLimit(limiter, { key: apiKey });
    const handled: boolean[] = [];
    const url = await listen(async (req, res) => {
      const goOn = await limited(req, res);
      handled.push(goOn);
      if (goOn) res.end('hello');
    });
    const ok = await fetch(url, as('n1'));
    expect([ok.status, await ok.text()]).toEqual([200, 'hello']);
    const refused = await fetch(url, as('n1'));
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as Record<string, unknown>)['violated-policies']).toEqual(['per-key']);
    expect(handled).toEqual([true, false]);
  });

  it('when Redis cannot be reached and a policy fails closed, then the answer is 503 temporary-reduced-capacity with Retry-After 1', async () => {
    const nowhere = createRedisClient({
      url: `redis://127.0.0.1:${await freePort()}`,
      service: 'ratelimit-test',
    });
    closers.push(() => nowhere.disconnect());
    const limiter = limiterFor(
      [
        { name: 'soft', limit: 5, period: 60, onRedisError: 'open' },
        { name: 'strict', limit: 5, period: 60, onRedisError: 'closed' },
      ],
      nowhere,
    );
    const url = await listen(async (req, res) => {
      if (await httpRateLimit(limiter, { key: apiKey })(req, res)) res.end('hello');
    });
    const res = await fetch(url, as('x'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({
      type: TEMPORARY_REDUCED_CAPACITY_TYPE,
      status: 503,
      code: 'E_UNAVAILABLE',
      'violated-policies': ['strict'],
    });
  });

  it('when the options are not usable, then the factory refuses them', () => {
    const limiter = limiterFor([{ name: 'p', limit: 1, period: 1 }]);
    expect(() => httpRateLimit(limiter, {} as never)).toThrow(InvalidOptionsError);
    expect(() => expressRateLimit(limiter, { key: apiKey, headers: 'yes' as never })).toThrow(
      /headers: must be a boolean/,
    );
  });
});
