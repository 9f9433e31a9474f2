import http from 'node:http';
import { errorHandler, requestId, silentLogger, startHttpServer } from '@redwire/http-kit';
import { jsonOf, type RawExchange, rawExchange, rawRequest } from '@redwire/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// What Node's HTTP parser refuses never reaches an app; startHttpServer makes those answers follow the
// contract. Raw bytes on a socket, because no HTTP client library would send them.

let port: number;
let close: () => Promise<void>;
let reached = 0;

beforeAll(async () => {
  const app = express();
  app.use(requestId());
  // Answers after the requests pipelined behind it were parsed.
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.json({ slow: true }), 100);
  });
  // Reads the whole body before answering, as a JSON route does.
  app.use((req, res) => {
    reached++;
    req.resume();
    req.on('end', () => res.json({ ok: true }));
  });
  app.use(errorHandler({ logger: silentLogger }));
  const server = await startHttpServer(app, {
    maxHeaderBytes: 4096,
    headersTimeoutMs: 500,
    requestTimeoutMs: 1000,
    timeoutCheckIntervalMs: 100,
  });
  port = server.port;
  close = () => server.close(1000);
});

afterAll(async () => {
  await close?.();
});

/** One problem+json answer with this status and code, then the connection closed. */
function expectContractAnswer(exchange: RawExchange, status: number, code: string) {
  expect(exchange.responses, exchange.rest).toHaveLength(1);
  const [answer] = exchange.responses;
  expect(answer?.status).toBe(status);
  expect(answer?.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(answer?.headers.connection).toBe('close');
  const body = jsonOf(answer);
  expect(body).toMatchObject({ status, code, type: 'about:blank' });
  expect(body.instance).toBe(answer?.headers['x-request-id']);
  expect(exchange.closed).toBe(true);
}

const HOST = 'Host: 127.0.0.1';

describe('answers of the HTTP parser', () => {
  it.each([
    [
      'both Content-Length and Transfer-Encoding',
      ['POST / HTTP/1.1', HOST, 'Content-Length: 5', 'Transfer-Encoding: chunked'],
      '0\r\n\r\n',
    ],
    ['Content-Length twice', ['POST / HTTP/1.1', HOST, 'Content-Length: 3', 'Content-Length: 3'], 'abc'],
    ['a Content-Length list', ['POST / HTTP/1.1', HOST, 'Content-Length: 3, 3'], 'abc'],
    [
      'a Transfer-Encoding not ending in chunked',
      ['POST / HTTP/1.1', HOST, 'Transfer-Encoding: chunked, gzip'],
      '',
    ],
    [
      'Transfer-Encoding twice',
      ['POST / HTTP/1.1', HOST, 'Transfer-Encoding: chunked', 'Transfer-Encoding: chunked'],
      '',
    ],
    ['an obs-folded header', ['GET / HTTP/1.1', HOST, 'X-A: a', ' folded'], ''],
    [
      'an obs-fold hiding Transfer-Encoding',
      ['POST / HTTP/1.1', HOST, 'X-A: a', '\tTransfer-Encoding: chunked', 'Content-Length: 3'],
      'abc',
    ],
    ['a space before the colon', ['GET / HTTP/1.1', HOST, 'Host : 127.0.0.1'], ''],
    ['a bare LF line end', ['GET / HTTP/1.1\nX-A: a'], ''],
    ['a NUL in a header value', ['GET / HTTP/1.1', HOST, 'X-A: a\u0000b'], ''],
    ['an unknown method', ['BREW / HTTP/1.1', HOST], ''],
    ['a control character in the target', ['GET /a\tb HTTP/1.1', HOST], ''],
    ['an HTTP/2 preface', ['PRI * HTTP/2.0'], 'SM\r\n\r\n'],
  ])(
    'when a request has %s, then it gets 400 E_MALFORMED_REQUEST and the connection closes',
    async (_case, head, body) => {
      const before = reached;
      expectContractAnswer(await rawExchange(port, rawRequest(head, body)), 400, 'E_MALFORMED_REQUEST');
      expect(reached).toBe(before);
    },
  );

  it('when a chunked body breaks after the headers were accepted, then the app never answers and the client gets 400 E_MALFORMED_REQUEST', async () => {
    const exchange = await rawExchange(
      port,
      rawRequest(
        ['POST / HTTP/1.1', HOST, 'Transfer-Encoding: chunked'],
        'fffffffffffffffff\r\nabc\r\n0\r\n\r\n',
      ),
    );
    expectContractAnswer(exchange, 400, 'E_MALFORMED_REQUEST');
  });

  it('when an HTTP/1.1 request has no Host, then it gets 400 E_MALFORMED_REQUEST and the connection closes', async () => {
    const before = reached;
    expectContractAnswer(await rawExchange(port, rawRequest(['GET / HTTP/1.1'])), 400, 'E_MALFORMED_REQUEST');
    expect(reached).toBe(before);
  });

  it('when an HTTP/1.0 request has no Host, then the app answers it (HTTP/1.0 has no Host rule)', async () => {
    const exchange = await rawExchange(port, rawRequest(['GET / HTTP/1.0']));
    expect(exchange.responses[0]?.status).toBe(200);
  });

  it('when the headers exceed maxHeaderBytes, then it gets 431 E_HEADERS_TOO_LARGE and the connection closes', async () => {
    const exchange = await rawExchange(
      port,
      rawRequest(['GET / HTTP/1.1', HOST, `X-Big: ${'a'.repeat(5000)}`]),
    );
    expectContractAnswer(exchange, 431, 'E_HEADERS_TOO_LARGE');
  });

  it("when a HEAD request is too large, then Node's own client reads a bodiless 431 E_HEADERS_TOO_LARGE", async () => {
    // A HEAD answer has no body: body bytes would be read as a second response, and Node's client fails
    // the request ("Data after `Connection: close`") instead of reporting the 431.
    const answer = await new Promise<{ status?: number; headers: http.IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        const req = http.request(
          { port, method: 'HEAD', path: `/${'a'.repeat(5000)}`, agent: false },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(answer.status).toBe(431);
    expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    expect(answer.body).toBe('');
  });

  it('when the headers never finish, then it gets 408 E_REQUEST_TIMEOUT and the connection closes', async () => {
    const exchange = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', {
      timeoutMs: 5000,
    });
    expectContractAnswer(exchange, 408, 'E_REQUEST_TIMEOUT');
  });

  it('when a request expects something other than 100-continue, then it gets 417 E_EXPECTATION_FAILED', async () => {
    const exchange = await rawExchange(
      port,
      rawRequest(['POST / HTTP/1.1', HOST, 'Expect: teapot', 'Content-Length: 3'], 'abc'),
    );
    expectContractAnswer(exchange, 417, 'E_EXPECTATION_FAILED');
  });

  it('when a client sends CONNECT, then it gets 400 E_MALFORMED_REQUEST instead of a silent reset', async () => {
    const exchange = await rawExchange(
      port,
      rawRequest(['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443']),
    );
    expectContractAnswer(exchange, 400, 'E_MALFORMED_REQUEST');
  });

  it('when a broken request follows good ones on the same connection, then the good ones are answered first, in order, then the contract 400', async () => {
    const exchange = await rawExchange(
      port,
      [
        rawRequest(['GET /slow HTTP/1.1', HOST]),
        rawRequest(['GET / HTTP/1.1', HOST]),
        rawRequest(['GET / HTTP/1.1', HOST, 'X-A: a', ' folded']),
      ].join(''),
    );
    expect(exchange.responses.map((r) => r.status)).toEqual([200, 200, 400]);
    expect(exchange.responses.map((r) => jsonOf(r).slow)).toEqual([true, undefined, undefined]);
    expect(jsonOf(exchange.responses[2]).code).toBe('E_MALFORMED_REQUEST');
    expect(exchange.closed).toBe(true);
  });
});
