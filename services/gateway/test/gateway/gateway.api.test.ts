import http from 'node:http';
import { IdentityVerifier } from '@redwire/http-kit';
import { parseList } from 'structured-headers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, SIGNING_KEY, startGatewayStack } from '../support/gateway-stack';

let stack: GatewayStack;
beforeAll(async () => {
  stack = await startGatewayStack({
    policies: [
      { name: 'per-ip', identity: 'ip', limit: 1000, period: 60 },
      { name: 'per-user', identity: 'user', limit: 1000, period: 60 },
      { name: 'tight', match: { path: '/users/tight' }, identity: 'ip', limit: 2, period: 3600 },
    ],
  });
});
afterAll(() => stack.stop());

const verifier = () => new IdentityVerifier({ key: SIGNING_KEY, audience: 'user' });

describe('gateway public port', () => {
  it('when /healthz is asked on the public port, then it answers 200, and /metrics is not there', async () => {
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    const metrics = await fetch(`${stack.url}/metrics`);
    expect(metrics.status).toBe(404);
    expect(metrics.headers.get('content-type')).toContain('application/problem+json');
  });

  it('when the admin port is asked, then /readyz reports redis and /metrics lists the limiter metrics', async () => {
    const ready = await fetch(`${stack.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', checks: { redis: { status: 'ok' } } });
    await fetch(`${stack.url}/users/1`);
    const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    for (const name of [
      'gateway_ratelimit_decisions_total',
      'gateway_ratelimit_near_limit_total',
      'gateway_ratelimit_redis_duration_seconds',
      'gateway_ratelimit_deny_cache_hits_total',
      'gateway_ratelimit_fail_open_total',
      'gateway_ratelimit_degraded',
      'http_server_request_duration_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/gateway_ratelimit_decisions_total\{policy="per-ip",outcome="allowed"[^}]*\} [1-9]/);
  });

  it('when an anonymous request is proxied, then the upstream gets X-Forwarded-*, X-Request-Id and no client-sent identity, and the client gets rate-limit headers', async () => {
    const res = await fetch(`${stack.url}/users/abc?x=1`, {
      headers: {
        'x-redwire-identity': 'forged',
        'x-forwarded-for': '6.6.6.6',
        'x-request-id': 'req-123',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(parseList(res.headers.get('ratelimit-policy') as string).map(([n]) => n)).toEqual(['per-ip']);
    const seen = stack.user.last();
    expect(seen.url).toBe('/users/abc?x=1');
    expect(seen.headers['x-redwire-identity']).toBeUndefined();
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe('http');
    expect(seen.headers['x-request-id']).toBe('req-123');
    // Without the OTel preload the client's context passes through; with it, the gateway's client span
    // (a child of that context) is injected instead.
    expect(seen.headers.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('when a bearer token is valid, then the upstream gets a signed identity for its audience, not the token', async () => {
    const { token, account } = await stack.login({ tier: 'pro', role: 'admin' });
    const res = await fetch(`${stack.url}/users/me`, {
      headers: { authorization: `Bearer ${token}`, 'x-redwire-identity': 'forged' },
    });
    expect(res.status).toBe(200);
    const seen = stack.user.last();
    expect(seen.headers.authorization).toBeUndefined();
    const identity = await verifier().verify(seen.headers['x-redwire-identity'] as string);
    expect(identity).toMatchObject({ sub: account.userId, role: 'admin', tier: 'pro', aud: 'user' });
    expect(res.headers.get('ratelimit')).toMatch(/"per-ip";r=\d+;t=\d+, "per-user";r=\d+;t=\d+/);
  });

  it('when a request goes to auth, then the credentials are forwarded with the identity', async () => {
    const { token } = await stack.login();
    await fetch(`${stack.url}/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    const seen = stack.auth.last();
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
    expect(seen.headers['x-redwire-identity']).toBeTruthy();
  });

  it('when a session is revoked, then the gateway refuses its token within 1 s', async () => {
    const { token, account } = await stack.login();
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${stack.url}/users/1`, { headers: auth })).status).toBe(200);
    const revokedAt = performance.now();
    await stack.sessions.revokeAll(account.tag);
    let status = 200;
    while (status === 200 && performance.now() - revokedAt < 2000) {
      status = (await fetch(`${stack.url}/users/1`, { headers: auth })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
    expect(performance.now() - revokedAt).toBeLessThan(1000);
  });

  it('when a token is invalid, then a user route answers 401, but logout and login proceed as anonymous', async () => {
    const bad = `Bearer ${'A'.repeat(16)}${'B'.repeat(22)}.${'C'.repeat(43)}`;
    const res = await fetch(`${stack.url}/users/1`, { headers: { authorization: bad } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'E_UNAUTHENTICATED', status: 401 });
    const before = stack.auth.seen.length;
    const logout = await fetch(`${stack.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: bad },
    });
    expect(logout.status).toBe(200);
    expect(stack.auth.seen.length).toBe(before + 1);
    expect(stack.auth.last().headers['x-redwire-identity']).toBeUndefined();
    expect(stack.auth.last().headers.authorization).toBe(bad);
  });

  it('when a cookie-authenticated PATCH comes cross-site, then it is refused with 403 E_CSRF before reaching a service', async () => {
    const { token } = await stack.login();
    const before = stack.user.seen.length;
    const cookie = `__Host-sid=${token}`;
    const crossSite = await fetch(`${stack.url}/users/1`, {
      method: 'PATCH',
      headers: { cookie, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ code: 'E_CSRF' });
    const noHeaders = await fetch(`${stack.url}/users/1`, {
      method: 'PATCH',
      headers: { cookie },
      body: '{}',
    });
    expect(noHeaders.status).toBe(403);
    expect(stack.user.seen.length).toBe(before);
    const sameOrigin = await fetch(`${stack.url}/users/1`, {
      method: 'PATCH',
      headers: { cookie, 'sec-fetch-site': 'same-origin' },
      body: '{}',
    });
    expect(sameOrigin.status).toBe(200);
    const matchingOrigin = await fetch(`${stack.url}/users/1`, {
      method: 'PATCH',
      headers: { cookie, origin: stack.url },
      body: '{}',
    });
    expect(matchingOrigin.status).toBe(200);
    const bearer = await fetch(`${stack.url}/users/1`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token}`, 'sec-fetch-site': 'cross-site' },
      body: '{}',
    });
    expect(bearer.status).toBe(200);
  });

  it('when a policy is exhausted, then the answer is a 429 problem with violated-policies and Retry-After no earlier than t', async () => {
    await fetch(`${stack.url}/users/tight`);
    await fetch(`${stack.url}/users/tight`);
    const res = await fetch(`${stack.url}/users/tight`);
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      code: 'E_RATE_LIMITED',
      status: 429,
      'violated-policies': ['tight'],
    });
    const state = parseList(res.headers.get('ratelimit') as string);
    const policy = parseList(res.headers.get('ratelimit-policy') as string);
    expect(state.map(([n]) => n)).toEqual(policy.map(([n]) => n));
    const t = state.find(([n]) => n === 'tight')?.[1].get('t') as number;
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(Math.max(1, t));
    expect(body.instance).toBe(res.headers.get('x-request-id'));
  });

  it('when a spoofed X-Forwarded-For comes from an untrusted peer, then the limit still keys on the socket address', async () => {
    const tight = await startGatewayStack({
      policies: [{ name: 'one', identity: 'ip', limit: 1, period: 3600 }],
    });
    try {
      expect(
        (await fetch(`${tight.url}/users/1`, { headers: { 'x-forwarded-for': '1.1.1.1' } })).status,
      ).toBe(200);
      expect(
        (await fetch(`${tight.url}/users/1`, { headers: { 'x-forwarded-for': '2.2.2.2' } })).status,
      ).toBe(429);
    } finally {
      await tight.stop();
    }
  });

  it('when the path has dot segments or is unknown, then it is 404 and no service sees it', async () => {
    const before = stack.user.seen.length + stack.auth.seen.length;
    for (const path of ['/users/../internal/users', '/users/%2e%2e/internal/users', '/internal/users', '/']) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(404);
    }
    expect(stack.user.seen.length + stack.auth.seen.length).toBe(before);
  });

  it('when a body of exactly the limit is posted chunked, then the upstream gets it whole with a Content-Length the gateway computed, and a large response streams back', async () => {
    const body = Buffer.alloc(64 * 1024, 'x');
    const answer = Buffer.alloc(3 * 1024 * 1024, 'y');
    stack.auth.behaviour = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(answer);
    };
    try {
      // A stream body makes fetch send it chunked, without a length.
      const res = await fetch(`${stack.url}/auth/register`, {
        method: 'POST',
        body: new Blob([body]).stream(),
        duplex: 'half',
        headers: { 'content-type': 'application/json' },
      } as RequestInit);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(answer)).toBe(true);
      const seen = stack.auth.last();
      expect(seen.body.equals(body)).toBe(true);
      expect(seen.headers['content-length']).toBe(String(body.length));
      expect(seen.headers['transfer-encoding']).toBeUndefined();
    } finally {
      stack.auth.behaviour = defaultBehaviour;
    }
  });

  it('when a body one byte over the limit is posted, then 413 E_PAYLOAD_TOO_LARGE, the connection closes and the upstream sees nothing', async () => {
    const before = stack.auth.seen.length;
    for (const chunked of [false, true]) {
      const body = Buffer.alloc(64 * 1024 + 1, 'x');
      const res = await fetch(`${stack.url}/auth/register`, {
        method: 'POST',
        body: chunked ? new Blob([body]).stream() : body,
        duplex: 'half',
        headers: { 'content-type': 'application/json' },
      } as RequestInit);
      expect(res.status, chunked ? 'chunked' : 'content-length').toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(((await res.json()) as { code: string }).code).toBe('E_PAYLOAD_TOO_LARGE');
    }
    expect(stack.auth.seen.length).toBe(before);
  });

  it('when the client sends hop-by-hop headers, then none reaches the upstream, and upstream hop-by-hop headers do not reach the client', async () => {
    stack.user.behaviour = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, x-hop',
        'x-hop': 'secret',
        'keep-alive': 'timeout=5',
      });
      res.end('ok');
    };
    try {
      const res = await rawGet('/users/1', {
        connection: 'keep-alive, x-custom-hop',
        'x-custom-hop': '1',
        'proxy-authorization': 'Basic x',
        te: 'trailers',
        'x-kept': 'yes',
      });
      const seen = stack.user.last().headers;
      expect(seen['x-custom-hop']).toBeUndefined();
      expect(seen['proxy-authorization']).toBeUndefined();
      expect(seen.te).toBeUndefined();
      expect(seen['x-kept']).toBe('yes');
      expect(res.headers['x-hop']).toBeUndefined();
    } finally {
      stack.user.behaviour = defaultBehaviour;
    }
  });

  it('when many requests are proxied, then upstream connections are kept alive and reused', async () => {
    const before = stack.user.connections;
    for (let i = 0; i < 30; i++) await fetch(`${stack.url}/users/${i}`);
    expect(stack.user.connections - before).toBeLessThanOrEqual(2);
  });
});

const defaultBehaviour = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
  res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
  res.end(JSON.stringify({ method: req.method, url: req.url, bytes: body.length }));
};

/** A GET with the path sent exactly as written (fetch would normalise dot segments). */
function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  const url = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}
