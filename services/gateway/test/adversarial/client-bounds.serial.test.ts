import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedisServer } from '@redwire/launchers';
import {
  freeze,
  jsonOf,
  RawConnection,
  type RawExchange,
  rawExchange,
  rawRequest,
  thaw,
} from '@redwire/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

// What one client may hold at the gateway, shown with real slow clients on raw sockets: slow bodies,
// many uploads, many requests in flight, many connections, headers that never end. Serial: each case
// measures a deadline.

const HOST = 'Host: 127.0.0.1';
const USER_PATH = '/users/0195f1c2-7a3b-7cde-8f01-23456789abcd';
let stack: GatewayStack | undefined;

afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

async function start(env: Record<string, string>): Promise<GatewayStack> {
  stack = await startGatewayStack({ env });
  return stack;
}

const port = (s: GatewayStack) => Number(new URL(s.url).port);

/** The headers of an upload of `length` bytes to auth (a path no strict policy matches), optionally signed in. */
const uploadHead = (length: number, token?: string) => [
  'POST /auth/echo HTTP/1.1',
  HOST,
  'Content-Type: application/json',
  `Content-Length: ${length}`,
  ...(token ? [`Authorization: Bearer ${token}`] : []),
];

/** One 429 for `bound`, as the contract shapes it. */
function expectBoundRefusal(exchange: RawExchange, bound: string) {
  const [answer] = exchange.responses;
  expect(answer?.status).toBe(429);
  expect(answer?.headers['retry-after']).toBe('1');
  expect(answer?.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = jsonOf(answer);
  expect(problem).toMatchObject({ code: 'E_RATE_LIMITED', 'violated-policies': [bound] });
  expect(problem.instance).toBe(answer?.headers['x-request-id']);
}

/** Opens a connection and starts an upload that then stalls: headers and `sent` bytes of a longer body. */
async function stalledUpload(s: GatewayStack, sent: number, token?: string): Promise<RawConnection> {
  const connection = await RawConnection.open(port(s));
  void connection.send(rawRequest(uploadHead(64 * 1024, token), 'x'.repeat(sent)), 1, 60_000).catch(() => {});
  return connection;
}

describe('slow request bodies', () => {
  it('when a 64 KiB body trickles in slower than the default BODY_READ_TIMEOUT (10 s) allows, then 408 E_REQUEST_TIMEOUT well before the 30 s request timeout, and no service sees it', async () => {
    const s = await start({});
    const started = performance.now();
    // 1 KiB every 300 ms: 64 KiB would take ~19 s.
    const parts = [
      `${uploadHead(64 * 1024).join('\r\n')}\r\n\r\n`,
      ...Array.from({ length: 64 }, () => 'x'.repeat(1024)),
    ];
    const exchange = await rawExchange(port(s), parts, { pauseMs: 300, timeoutMs: 20_000 });
    const elapsed = performance.now() - started;
    expect(exchange.responses[0]?.status).toBe(408);
    expect(jsonOf(exchange.responses[0]).code).toBe('E_REQUEST_TIMEOUT');
    expect(exchange.responses[0]?.headers.connection).toBe('close');
    expect(exchange.closed).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(10_000);
    expect(elapsed).toBeLessThan(15_000);
    expect(s.auth.seen).toHaveLength(0);
    expect(s.auth.connections).toBe(0);
  }, 30_000);

  it('when many clients stall their uploads, then no upstream socket is taken and other requests are served at once', async () => {
    const s = await start({ BODY_READ_TIMEOUT: '3000' });
    const tokens = await Promise.all(Array.from({ length: 24 }, () => s.login()));
    const stalled = await Promise.all(tokens.map(({ token }) => stalledUpload(s, 1000, token)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const started = performance.now();
      const res = await fetch(`${s.url}${USER_PATH}`);
      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeLessThan(1000);
      // Bodies are read whole before any upstream socket is used: 24 slow uploads hold none.
      expect(s.auth.connections).toBe(0);
      expect(s.auth.seen).toHaveLength(0);
    } finally {
      for (const c of stalled) c.close();
    }
  }, 30_000);

  it('when one client has MAX_UPLOADS_PER_CLIENT uploads stalled, then its next upload gets 429 client-uploads at once, while its reads and other clients’ uploads go through', async () => {
    const s = await start({ MAX_UPLOADS_PER_CLIENT: '3', BODY_READ_TIMEOUT: '5000' });
    const stalled = await Promise.all([0, 1, 2].map(() => stalledUpload(s, 100)));
    try {
      await new Promise((r) => setTimeout(r, 300));
      const body = '{"a":1}';
      const refused = await rawExchange(port(s), rawRequest(uploadHead(body.length), body), { responses: 1 });
      expectBoundRefusal(refused, 'client-uploads');
      expect(refused.responses[0]?.headers.connection).toBe('close');

      expect((await fetch(`${s.url}${USER_PATH}`)).status).toBe(200);
      const { token } = await s.login();
      const other = await rawExchange(port(s), rawRequest(uploadHead(body.length, token), body), {
        responses: 1,
      });
      expect(other.responses[0]?.status).toBe(200);
      expect(s.auth.seen.map((r) => r.body.toString())).toEqual([body]);
    } finally {
      for (const c of stalled) c.close();
    }
    // Closing the stalled uploads gives the slots back.
    await new Promise((r) => setTimeout(r, 200));
    const body = '{"b":2}';
    const again = await rawExchange(port(s), rawRequest(uploadHead(body.length), body), { responses: 1 });
    expect(again.responses[0]?.status, again.responses[0]?.body).toBe(200);
    expect(s.runtime.bounds.active).toMatchObject({ inFlight: 0, uploads: 0 });
  }, 30_000);
});

describe('requests in flight', () => {
  it('when a client has MAX_IN_FLIGHT_PER_CLIENT requests waiting on a slow service, then its next one gets 429 client-in-flight, other clients are served, and answered requests free their slots', async () => {
    const s = await start({ MAX_IN_FLIGHT_PER_CLIENT: '4' });
    const held: ServerResponse[] = [];
    s.user.behaviour = (_req, res) => {
      held.push(res);
    };
    const waiting = [0, 1, 2, 3].map(() => fetch(`${s.url}${USER_PATH}`));
    const deadline = Date.now() + 5000;
    while (held.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(4);

    expectBoundRefusal(
      await rawExchange(port(s), rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST]), { responses: 1 }),
      'client-in-flight',
    );
    expect(held).toHaveLength(4);

    // Another client (a signed-in user is its own client) is not held back by this one.
    const { token } = await s.login();
    const other = fetch(`${s.url}${USER_PATH}`, { headers: { authorization: `Bearer ${token}` } });
    while (held.length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(held).toHaveLength(5);

    for (const res of held.splice(0)) res.end('{}');
    expect((await Promise.all([...waiting, other])).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    s.user.behaviour = (_req, res) => res.end('{}');
    expect((await fetch(`${s.url}${USER_PATH}`)).status).toBe(200);
    // Every slot was given back: no client's key outlives its requests.
    expect(s.runtime.bounds.active).toMatchObject({ inFlight: 0, uploads: 0 });
  }, 30_000);

  it('when one connection pipelines more requests than the bound, then the ones past it get 429 and the rest are answered in order', async () => {
    const s = await start({ MAX_IN_FLIGHT_PER_CLIENT: '2' });
    const held: ServerResponse[] = [];
    s.user.behaviour = (req, res) => {
      held.push(res);
      if (held.length === 2) for (const r of held) r.end(JSON.stringify({ url: req.url }));
    };
    const connection = await RawConnection.open(port(s));
    try {
      const requests = [0, 1, 2, 3].map((i) => rawRequest([`GET ${USER_PATH}?n=${i} HTTP/1.1`, HOST]));
      const responses = await connection.send(requests.join(''), 4);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 429, 429]);
    } finally {
      connection.close();
    }
  }, 30_000);
});

describe('clients that leave before their request is admitted', () => {
  it('when a client gives up its requests while the limiter waits on a frozen Redis, then none of them keeps an in-flight slot or reaches a service, and the client is served once Redis answers', async () => {
    // Found by the chaos run with two instances: after a Redis stall, users whose requests had timed out
    // on their side were answered 429 client-in-flight for good, each abandoned request a slot never freed.
    const redis = await startRedisServer();
    try {
      const s = await startGatewayStack({
        redisUrl: redis.url,
        policies: [{ name: 'per-ip', identity: 'ip', limit: 10_000, period: 1, onRedisError: 'open' }],
        env: { MAX_IN_FLIGHT_PER_CLIENT: '2', RATE_LIMIT_DEADLINE: '300' },
      });
      stack = s;
      freeze(redis.pid as number);
      // Six requests of one client (one address), each abandoned 50 ms in, well inside the limiter's wait.
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          const connection = await RawConnection.open(port(s));
          void connection.send(rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST]), 1, 5000).catch(() => {});
          await sleep(50);
          connection.close();
        }),
      );
      await sleep(800); // every handler is past the limiter's deadline (decided by the local fallback)
      thaw(redis.pid as number);
      expect(s.runtime.bounds.active).toMatchObject({ inFlight: 0, uploads: 0 });
      expect(s.user.seen).toHaveLength(0);
      const res = await fetch(`${s.url}${USER_PATH}`);
      expect(res.status, await res.clone().text()).toBe(200);
    } finally {
      thaw(redis.pid as number);
      await redis.stop();
    }
  }, 30_000);
});

describe('connections per address', () => {
  it('when an address holds MAX_CONNECTIONS_PER_CLIENT connections, then a request on one more gets 429 client-connections and that connection closes; closing one frees a place', async () => {
    const s = await start({ MAX_CONNECTIONS_PER_CLIENT: '5' });
    const open = await Promise.all([0, 1, 2, 3, 4].map(() => RawConnection.open(port(s))));
    try {
      await new Promise((r) => setTimeout(r, 100));
      const refused = await rawExchange(port(s), rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST]));
      expectBoundRefusal(refused, 'client-connections');
      expect(refused.responses[0]?.headers.connection).toBe('close');
      expect(refused.closed).toBe(true);
      // The held connections themselves are served.
      expect(
        (await (open[0] as RawConnection).send(rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST])))[0]?.status,
      ).toBe(200);
      (open.pop() as RawConnection).close();
      await new Promise((r) => setTimeout(r, 100));
      const served = await rawExchange(port(s), rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST]), {
        responses: 1,
      });
      expect(served.responses[0]?.status).toBe(200);
    } finally {
      for (const c of open) c.close();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(s.runtime.bounds.active).toEqual({ connections: 0, inFlight: 0, uploads: 0 });
  }, 30_000);

  it('when the peer is a trusted proxy, then its connections are not counted as one client’s', async () => {
    const s = await start({ MAX_CONNECTIONS_PER_CLIENT: '2', TRUSTED_PROXY_CIDRS: '127.0.0.0/8' });
    const open = await Promise.all([0, 1, 2, 3].map(() => RawConnection.open(port(s))));
    try {
      for (const [i, c] of open.entries()) {
        const [answer] = await c.send(
          rawRequest([`GET ${USER_PATH} HTTP/1.1`, HOST, `X-Forwarded-For: 203.0.113.${i}`]),
        );
        expect(answer?.status).toBe(200);
      }
    } finally {
      for (const c of open) c.close();
    }
  }, 30_000);
});

describe('slow headers', () => {
  it('when the headers never finish, then 408 E_REQUEST_TIMEOUT after HEADERS_TIMEOUT and the connection closes', async () => {
    const s = await start({ HEADERS_TIMEOUT: '1000' });
    const started = performance.now();
    const exchange = await rawExchange(port(s), [`GET ${USER_PATH} HTTP/1.1\r\n${HOST}\r\n`, 'X-Slow: a'], {
      pauseMs: 200,
      timeoutMs: 10_000,
    });
    const elapsed = performance.now() - started;
    expect(exchange.responses[0]?.status).toBe(408);
    expect(jsonOf(exchange.responses[0]).code).toBe('E_REQUEST_TIMEOUT');
    expect(exchange.closed).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(1000);
    expect(elapsed).toBeLessThan(4000);
  }, 30_000);
});
