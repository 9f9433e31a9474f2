import { randomUUID } from 'node:crypto';
import { chunked, jsonOf, type RawExchange, rawExchange, rawRequest } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealStack, startRealStack } from './support/real-stack';
import { loginStatus, registrationRequest } from './support/registration';

// The attacks of the edge-hardening report, as a hostile client sends them: raw bytes on a socket to the
// real gateway in front of the real auth and user services. Each smuggles a second request inside the
// body of the first; the inner request must never run. The third attack of the report, one client reading
// another's answer from a pooled upstream socket, needs concurrent clients: response-pairing.test.ts.

let stack: RealStack;

beforeAll(async () => {
  stack = await startRealStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

const login = (email: string) => loginStatus(stack.url, email);

/** The gateway refused the request itself: 400 problem+json with a contract code, then closed. */
function expectRefused(exchange: RawExchange) {
  expect(exchange.responses).toHaveLength(1);
  const [answer] = exchange.responses;
  expect(answer?.status).toBe(400);
  expect(answer?.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer?.headers.connection).toBe('close');
  expect(answer?.headers['x-request-id']).toBeTruthy();
  expect(jsonOf(answer).code).toBe('E_MALFORMED_REQUEST');
  expect(exchange.closed).toBe(true);
}

/** After the inner request had time to run: its account must not exist. */
async function expectNotRegistered(email: string) {
  await new Promise((r) => setTimeout(r, 500));
  expect(await login(email)).toBe(401);
}

describe('request smuggling through the gateway', () => {
  it('when a GET carries a chunked body holding a complete POST /auth/register, then the gateway answers 400 and closes, and the account is never created', async () => {
    const email = `smuggled-te-${randomUUID()}@example.com`;
    const exchange = await rawExchange(
      stack.port,
      rawRequest(
        ['GET /auth/me HTTP/1.1', 'Host: 127.0.0.1', 'Transfer-Encoding: chunked'],
        chunked(registrationRequest(email)),
      ),
    );
    expectRefused(exchange);
    await expectNotRegistered(email);
  });

  it('when a GET names Content-Length in Connection and its body holds a complete POST /auth/register, then the gateway answers 400 and closes, and the account is never created', async () => {
    const email = `smuggled-cl-${randomUUID()}@example.com`;
    const inner = registrationRequest(email);
    const exchange = await rawExchange(
      stack.port,
      rawRequest(
        [
          'GET /auth/me HTTP/1.1',
          'Host: 127.0.0.1',
          'Connection: content-length',
          `Content-Length: ${Buffer.byteLength(inner)}`,
        ],
        inner,
      ),
    );
    expectRefused(exchange);
    await expectNotRegistered(email);
  });

  it('when a DELETE carries a chunked body holding a complete POST /auth/register, then the inner request never runs', async () => {
    // DELETE, like GET, is a method Node's client sends without chunked framing by default. The gateway
    // accepts a DELETE body, but forwards it with its own Content-Length: the inner request stays body.
    const email = `smuggled-delete-${randomUUID()}@example.com`;
    await rawExchange(
      stack.port,
      rawRequest(
        [`DELETE /auth/sessions/${randomUUID()} HTTP/1.1`, 'Host: 127.0.0.1', 'Transfer-Encoding: chunked'],
        chunked(registrationRequest(email)),
      ),
      { responses: 1 },
    );
    await expectNotRegistered(email);
  });
});
