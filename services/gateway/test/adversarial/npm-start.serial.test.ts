import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chunked, jsonOf, rawExchange, rawRequest } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStack, startLocalStack } from '../../../../infra/compose/test/support/local-stack';
import { checkResponsePairing, SMUGGLED_TAG } from './support/pairing';
import { roomyPolicies } from './support/real-stack';
import { loginStatus, registrationRequest } from './support/registration';

// The edge guarantees on the running stack: `npm start`'s compiled runner and the four service processes
// it spawns, attacked over raw sockets as in the edge-hardening report. The in-process suites beside this
// file cover every case; this shows the same properties hold for the processes a user runs.

const HOST = 'Host: 127.0.0.1';
let stack: RunningStack;
let port: number;
let policyDir: string;

beforeAll(async () => {
  // The shipped policy matches with quotas a test cannot reach, and the per-client bounds lifted: every
  // client here is 127.0.0.1. Access logs on, to see what each service received.
  policyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-start-adversarial-'));
  const policyFile = path.join(policyDir, 'policies.json');
  fs.writeFileSync(policyFile, JSON.stringify({ policies: roomyPolicies() }));
  stack = await startLocalStack({
    LOG_LEVEL: 'info',
    RATE_LIMIT_POLICIES_FILE: policyFile,
    MAX_IN_FLIGHT_PER_CLIENT: '10000',
    MAX_UPLOADS_PER_CLIENT: '10000',
  });
  port = stack.ports.gateway;
}, 180_000);

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
  fs.rmSync(policyDir, { recursive: true, force: true });
}, 60_000);

/** Lines the user and auth processes logged. */
const serviceLines = () => stack.lines.filter((l) => l.startsWith('[user]') || l.startsWith('[auth]'));

describe('the running stack (npm start) under the edge-hardening report’s attacks', () => {
  it('when a GET smuggles a registration in a chunked body, or with Content-Length named in Connection, then 400 E_MALFORMED_REQUEST with Connection: close, and the account never exists', async () => {
    const first = `npm-start-te-${randomUUID()}@example.com`;
    const second = `npm-start-cl-${randomUUID()}@example.com`;
    const inner = registrationRequest(second);
    const exchanges = [
      await rawExchange(
        port,
        rawRequest(
          ['GET /auth/me HTTP/1.1', HOST, 'Transfer-Encoding: chunked'],
          chunked(registrationRequest(first)),
        ),
      ),
      await rawExchange(
        port,
        rawRequest(
          ['GET /auth/me HTTP/1.1', HOST, 'Connection: content-length', `Content-Length: ${inner.length}`],
          inner,
        ),
      ),
    ];
    for (const exchange of exchanges) {
      expect(exchange.responses.map((r) => [r.status, jsonOf(r).code, r.headers.connection])).toEqual([
        [400, 'E_MALFORMED_REQUEST', 'close'],
      ]);
      expect(exchange.closed).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(await loginStatus(stack.gatewayUrl, first)).toBe(401);
    expect(await loginStatus(stack.gatewayUrl, second)).toBe(401);
  });

  it('when /auth/login is spelled another way, then 404 instead of the handler without login-ip', async () => {
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1234' });
    const send = async (target: string) => {
      const exchange = await rawExchange(
        port,
        rawRequest(
          [
            `POST ${target} HTTP/1.1`,
            HOST,
            'Content-Type: application/json',
            `Content-Length: ${body.length}`,
          ],
          body,
        ),
        { responses: 1 },
      );
      const [answer] = exchange.responses;
      return `${answer?.status} ${String(jsonOf(answer).code)} ${answer?.headers['ratelimit-policy']?.includes('"login-ip"') ? 'login-ip' : '-'}`;
    };
    expect(await send('/auth/login')).toBe('401 E_INVALID_CREDENTIALS login-ip');
    for (const target of [
      '/auth/login/',
      '/auth/Login',
      '/auth/LOGIN/',
      '//auth/login',
      '/auth/%6cogin',
      '/auth/./login',
      '/auth/login;x',
    ])
      expect(`${target}: ${await send(target)}`).toBe(`${target}: 404 E_NOT_FOUND -`);
  });

  it('when Node’s parser refuses a request (obs-fold, oversized headers), then the answer is problem+json with a contract code, and the connection closes', async () => {
    const folded = await rawExchange(port, rawRequest(['GET /auth/me HTTP/1.1', HOST, 'X-A: a', ' folded']));
    const huge = await rawExchange(
      port,
      rawRequest(['GET /auth/me HTTP/1.1', HOST, `Cookie: a=${'x'.repeat(20_000)}`]),
    );
    expect(
      [folded, huge].map((e) => [e.responses[0]?.status, jsonOf(e.responses[0]).code, e.closed]),
    ).toEqual([
      [400, 'E_MALFORMED_REQUEST', true],
      [431, 'E_HEADERS_TOO_LARGE', true],
    ]);
  });

  it('when tagged clients share the gateway before, during and after smuggling attempts, then each reads only its own answers and no service ever logs a smuggled request', async () => {
    const report = await checkResponsePairing(port, {
      victims: 8,
      requestsPerVictim: 12,
      attackers: 3,
      rounds: 4,
    });
    expect(report.mismatches).toEqual([]);
    expect(report.answered).toBe(3 * 8 * 12);
    expect(report.hostile.filter((h) => h.smuggledAnswer)).toEqual([]);
    // The services' access logs carry each request's id: a smuggled request that ran would be there.
    await new Promise((r) => setTimeout(r, 300));
    // Every victim request is in them under its own tag; no smuggled tag is.
    expect(
      serviceLines().filter((l) => /"(before|during|after)-\d+-\d+-/.test(l)).length,
    ).toBeGreaterThanOrEqual(3 * 8 * 12);
    expect(serviceLines().filter((l) => l.includes(SMUGGLED_TAG))).toEqual([]);
  }, 120_000);
});
