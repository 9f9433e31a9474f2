import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

let stack: GatewayStack;
beforeAll(async () => {
  stack = await startGatewayStack({
    policies: [{ name: 'per-ip', identity: 'ip', limit: 1000, period: 60 }],
    env: { UPSTREAM_TIMEOUT: '300' },
  });
});
afterAll(() => stack.stop());

describe('upstream failures', () => {
  it('when the upstream does not answer in time, then the client gets 504 E_UPSTREAM_TIMEOUT problem+json with the rate-limit headers', async () => {
    stack.user.behaviour = () => {
      // never answers
    };
    const started = performance.now();
    const res = await fetch(`${stack.url}/users/slow`);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ code: 'E_UPSTREAM_TIMEOUT', status: 504 });
    expect(res.headers.get('ratelimit-policy')).toContain('"per-ip"');
  });

  it('when the upstream resets the connection, then the client gets 502 E_UPSTREAM', async () => {
    stack.user.behaviour = (req) => req.socket.destroy();
    const res = await fetch(`${stack.url}/users/reset`);
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ code: 'E_UPSTREAM', status: 502 });
  });

  it('when the upstream is down, then the client gets 502 E_UPSTREAM without leaking the cause', async () => {
    const down = await startGatewayStack({
      policies: [{ name: 'per-ip', identity: 'ip', limit: 1000, period: 60 }],
    });
    await down.auth.stop();
    try {
      const res = await fetch(`${down.url}/auth/me`);
      expect(res.status).toBe(502);
      const body = await res.json();
      expect(body).toMatchObject({ code: 'E_UPSTREAM' });
      expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
    } finally {
      await down.user.stop();
      await down.stop().catch(() => {});
    }
  });

  it('when a client aborts mid-upload or while waiting, then the upstream request is dropped and the gateway keeps serving', async () => {
    let upstreamClosed = 0;
    stack.auth.behaviour = (req) => {
      req.socket.once('close', () => {
        upstreamClosed++;
      });
    };
    const url = new URL(stack.url);
    const abortAfter = (payload: string) =>
      new Promise<void>((resolve) => {
        const socket = net.connect(Number(url.port), url.hostname, () => {
          socket.write(payload);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 150);
        });
        socket.on('error', () => {});
      });
    // Headers promise 1 MB; only a few bytes follow.
    await abortAfter('POST /auth/register HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n{"a":');
    // A complete request whose upstream never answers.
    await abortAfter('GET /auth/me HTTP/1.1\r\nHost: x\r\n\r\n');
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(upstreamClosed).toBeGreaterThanOrEqual(1);
    stack.auth.behaviour = (_req, res) => res.end('{}');
  });

  it('when the upstream returns its own 5xx, then it is passed through unchanged', async () => {
    stack.user.behaviour = (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end('{"code":"E_UNAVAILABLE"}');
    };
    const res = await fetch(`${stack.url}/users/x`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ code: 'E_UNAVAILABLE' });
  });
});
