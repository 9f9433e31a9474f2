import { randomUUID } from 'node:crypto';
import { chunked, jsonOf, type RawExchange, rawExchange, rawRequest } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealStack, startRealStack } from './support/real-stack';
import { registrationBody, registrationRequest } from './support/registration';

// Every framing the gateway refuses, sent as raw bytes through the real gateway to the real auth and user
// services: each gets a contract answer, the connection closes, and no service receives a byte of it.
// Then the framings it accepts: the service receives the body with framing the gateway chose.

const HOST = 'Host: 127.0.0.1';
let stack: RealStack;

beforeAll(async () => {
  stack = await startRealStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const served = () => stack.served.auth.length + stack.served.user.length;

/** Sends `payload`; expects one contract refusal, the connection closed, and no service reached. */
async function expectRefused(payload: string, status: number, code: string): Promise<RawExchange> {
  const before = served();
  const head = payload.startsWith('HEAD ');
  const exchange = await rawExchange(stack.port, payload, { head });
  expect(exchange.responses, exchange.rest).toHaveLength(1);
  const [answer] = exchange.responses;
  expect(answer?.status).toBe(status);
  expect(answer?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(answer?.headers.connection).toBe('close');
  if (!head) {
    const problem = jsonOf(answer);
    expect(problem.code).toBe(code);
    expect(problem.instance).toBe(answer?.headers['x-request-id']);
  }
  expect(exchange.closed).toBe(true);
  // The inner request of a smuggling attempt would be a second request at auth; there is not even one.
  await new Promise((r) => setTimeout(r, 100));
  expect(served()).toBe(before);
  return exchange;
}

const body = registrationBody();
const post = (...fields: string[]) => [
  'POST /auth/register HTTP/1.1',
  HOST,
  'Content-Type: application/json',
  ...fields,
];

describe('framing the gateway refuses (400 E_MALFORMED_REQUEST, connection closed, no service reached)', () => {
  it.each([
    [
      'Content-Length and Transfer-Encoding',
      rawRequest(post(`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'), chunked(body)),
    ],
    [
      'Transfer-Encoding and Content-Length',
      rawRequest(post('Transfer-Encoding: chunked', `Content-Length: ${body.length}`), chunked(body)),
    ],
    [
      'two different Content-Lengths',
      rawRequest(post(`Content-Length: ${body.length}`, 'Content-Length: 5'), body),
    ],
    [
      'the same Content-Length twice',
      rawRequest(post(`Content-Length: ${body.length}`, `Content-Length: ${body.length}`), body),
    ],
    ['a Content-Length list', rawRequest(post(`Content-Length: ${body.length}, ${body.length}`), body)],
    ['Transfer-Encoding: gzip, chunked', rawRequest(post('Transfer-Encoding: gzip, chunked'), chunked(body))],
    ['Transfer-Encoding: Chunked', rawRequest(post('Transfer-Encoding: Chunked'), chunked(body))],
    ['Transfer-Encoding: identity', rawRequest(post('Transfer-Encoding: identity'), body)],
    [
      'Transfer-Encoding: chunked, chunked',
      rawRequest(post('Transfer-Encoding: chunked, chunked'), chunked(body)),
    ],
    [
      'Transfer-Encoding twice',
      rawRequest(post('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'), chunked(body)),
    ],
    [
      'Transfer-Encoding on HTTP/1.0',
      rawRequest(
        [
          'POST /auth/register HTTP/1.0',
          HOST,
          'Content-Type: application/json',
          'Transfer-Encoding: chunked',
        ],
        chunked(body),
      ),
    ],
    [
      'an obs-folded header',
      rawRequest(post(`Content-Length: ${body.length}`, 'X-Note: a', ' folded'), body),
    ],
    [
      'an obs-fold continuing into Transfer-Encoding',
      rawRequest(post(`Content-Length: ${body.length}`, 'X-Note: a', ' Transfer-Encoding: chunked'), body),
    ],
    ['two Host fields', rawRequest(['GET /auth/me HTTP/1.1', HOST, 'Host: evil.example'])],
    ['no Host field', rawRequest(['GET /auth/me HTTP/1.1'])],
    [
      'two Authorization fields',
      rawRequest(['GET /auth/me HTTP/1.1', HOST, 'Authorization: Bearer a', 'Authorization: Bearer b']),
    ],
    [
      'a GET with a Content-Length body holding a request',
      rawRequest(
        ['GET /auth/me HTTP/1.1', HOST, `Content-Length: ${registrationRequest().length}`],
        registrationRequest(),
      ),
    ],
    [
      'a GET with a chunked body holding a request',
      rawRequest(
        ['GET /auth/me HTTP/1.1', HOST, 'Transfer-Encoding: chunked'],
        chunked(registrationRequest()),
      ),
    ],
    [
      'a HEAD with a body',
      rawRequest([`HEAD /users/${randomUUID()} HTTP/1.1`, HOST, 'Content-Length: 2'], '{}'),
    ],
    [
      'a TRACE with a body',
      rawRequest(['TRACE /auth/me HTTP/1.1', HOST, 'Transfer-Encoding: chunked'], chunked('x')),
    ],
    [
      'an h2c upgrade (Connection: Upgrade, HTTP2-Settings)',
      rawRequest([
        'GET /auth/me HTTP/1.1',
        HOST,
        'Connection: Upgrade, HTTP2-Settings',
        'Upgrade: h2c',
        'HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA',
      ]),
    ],
  ])('when a request has %s', async (_case, payload) => {
    await expectRefused(payload, 400, 'E_MALFORMED_REQUEST');
  });

  it.each([
    'content-length',
    'Transfer-Encoding',
    'host',
    'upgrade',
    'x-redwire-identity',
    'x-forwarded-for',
    'x-forwarded-proto',
    'X-Forwarded-Host',
    'forwarded',
    'x-request-id',
    'authorization',
    'cookie',
    'traceparent',
    'x-real-ip',
  ])('when Connection names %s (a field the gateway or a service relies on)', async (field) => {
    const inner = registrationRequest();
    await expectRefused(
      rawRequest(
        [
          'GET /auth/me HTTP/1.1',
          HOST,
          `Connection: keep-alive, ${field}`,
          `Content-Length: ${inner.length}`,
        ],
        inner,
      ),
      400,
      'E_MALFORMED_REQUEST',
    );
    await expectRefused(
      rawRequest(post(`Connection: ${field}`, `Content-Length: ${body.length}`), body),
      400,
      'E_MALFORMED_REQUEST',
    );
  });
});

describe('sizes the gateway refuses', () => {
  it('when a request has more header fields than MAX_HEADERS_COUNT (100), then 431 E_HEADERS_TOO_LARGE', async () => {
    const fields = Array.from({ length: 100 }, (_, i) => `X-Field-${i}: ${i}`);
    await expectRefused(rawRequest(['GET /auth/me HTTP/1.1', HOST, ...fields]), 431, 'E_HEADERS_TOO_LARGE');
  });

  it('when a request has exactly MAX_HEADERS_COUNT fields, then it is served', async () => {
    const fields = Array.from({ length: 99 }, (_, i) => `X-Field-${i}: ${i}`);
    const exchange = await rawExchange(stack.port, rawRequest(['GET /auth/me HTTP/1.1', HOST, ...fields]), {
      responses: 1,
    });
    expect(exchange.responses[0]?.status).toBe(401);
    expect(jsonOf(exchange.responses[0]).code).toBe('E_UNAUTHENTICATED');
  });

  it('when the header section exceeds MAX_HEADER_SIZE (16 KiB), then 431 E_HEADERS_TOO_LARGE from the parser', async () => {
    await expectRefused(
      rawRequest(['GET /auth/me HTTP/1.1', HOST, `Cookie: a=${'x'.repeat(17 * 1024)}`]),
      431,
      'E_HEADERS_TOO_LARGE',
    );
  });

  it('when Content-Length announces more than MAX_REQUEST_BODY (64 KiB), then 413 E_PAYLOAD_TOO_LARGE before any byte of it is read', async () => {
    await expectRefused(
      rawRequest(post(`Content-Length: ${64 * 1024 + 1}`), '{'),
      413,
      'E_PAYLOAD_TOO_LARGE',
    );
  });
});

describe('framing the gateway accepts, and re-frames', () => {
  /** Sends a registration framed as `fields` say; returns what auth received. */
  async function register(fields: string[], payload: string) {
    const before = stack.served.auth.length;
    const exchange = await rawExchange(stack.port, rawRequest(post(...fields), payload), { responses: 1 });
    expect(exchange.responses[0]?.status, exchange.responses[0]?.body).toBe(201);
    expect(stack.served.auth.length).toBe(before + 1);
    return stack.served.auth[before];
  }

  it('when a body comes with Content-Length, then auth gets the same length and no Transfer-Encoding', async () => {
    const payload = registrationBody();
    const seen = await register([`Content-Length: ${payload.length}`], payload);
    expect(seen?.headers['content-length']).toBe(String(payload.length));
    expect(seen?.headers['transfer-encoding']).toBeUndefined();
  });

  it('when a body comes chunked (with chunk extensions and a trailer), then auth gets it with a Content-Length and neither extensions nor trailer', async () => {
    const payload = registrationBody();
    const half = Math.floor(payload.length / 2);
    const wire = `${half.toString(16)};ext=1\r\n${payload.slice(0, half)}\r\n${(payload.length - half).toString(16)}\r\n${payload.slice(half)}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    const seen = await register(['Transfer-Encoding: chunked', 'Trailer: X-Trailer'], wire);
    expect(seen?.headers['content-length']).toBe(String(payload.length));
    expect(seen?.headers['transfer-encoding']).toBeUndefined();
    expect(seen?.headers.trailer).toBeUndefined();
  });

  it('when Connection names an ordinary field, then that field is not forwarded', async () => {
    const payload = registrationBody();
    const seen = await register(
      ['Connection: keep-alive, X-Hop', 'X-Hop: secret', 'X-Kept: yes', `Content-Length: ${payload.length}`],
      payload,
    );
    expect(seen?.headers['x-hop']).toBeUndefined();
    expect(seen?.headers['x-kept']).toBe('yes');
  });

  it('when a client sends Expect: 100-continue, then the gateway answers 100, reads the body, and auth gets no Expect', async () => {
    const payload = registrationBody();
    const exchange = await rawExchange(
      stack.port,
      [rawRequest(post('Expect: 100-continue', `Content-Length: ${payload.length}`)), payload],
      { pauseMs: 100, responses: 1 },
    );
    expect(exchange.responses[0]?.status).toBe(201);
    expect(stack.served.auth.at(-1)?.headers.expect).toBeUndefined();
  });
});
