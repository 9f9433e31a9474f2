import { randomUUID } from 'node:crypto';
import { chunked, jsonOf, RawConnection, type RawResponse, rawExchange, rawRequest } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RealStack, startRealStack } from './support/real-stack';

// Many clients, each request tagged with its own X-Request-Id, which the real services echo as the
// problem's `instance`: a client that reads an answer carrying another tag was handed someone else's
// response from a pooled upstream socket. Checked before, during and after a wave of smuggling attempts
// on the same gateway, so the same upstream pools carry both.

const HOST = 'Host: 127.0.0.1';
const VICTIMS = 12;
const REQUESTS_PER_VICTIM = 18;
const ATTACKERS = 4;
const ATTACKS_PER_ATTACKER = 8;

let stack: RealStack;

beforeAll(async () => {
  // Every client here is 127.0.0.1: lift the per-client bounds so they cannot answer for the services.
  stack = await startRealStack({
    gatewayEnv: { MAX_IN_FLIGHT_PER_CLIENT: '10000', MAX_UPLOADS_PER_CLIENT: '10000' },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** A tagged request and the answer it must get: status and code of the real service's problem. */
interface Probe {
  readonly request: (tag: string) => string;
  readonly status: number;
  readonly code: string;
}

const loginBody = JSON.stringify({ email: 'nobody@example.com', password: 'not-the-password-1234' });
const PROBES: readonly Probe[] = [
  {
    request: (tag) => rawRequest([`GET /users/${randomUUID()} HTTP/1.1`, HOST, `X-Request-Id: ${tag}`]),
    status: 404,
    code: 'E_USER_NOT_FOUND',
  },
  {
    request: (tag) => rawRequest(['GET /auth/me HTTP/1.1', HOST, `X-Request-Id: ${tag}`]),
    status: 401,
    code: 'E_UNAUTHENTICATED',
  },
  {
    // A login takes a password hash's time: an answer still being made when the next request goes out.
    request: (tag) =>
      rawRequest(
        [
          'POST /auth/login HTTP/1.1',
          HOST,
          `X-Request-Id: ${tag}`,
          'Content-Type: application/json',
          `Content-Length: ${loginBody.length}`,
        ],
        loginBody,
      ),
    status: 401,
    code: 'E_INVALID_CREDENTIALS',
  },
];

/** Hostile requests, each hiding a complete tagged request in its body. */
function attacks(n: number): string[] {
  const inner = (i: number) => {
    const probe = PROBES[i % PROBES.length] as Probe;
    return probe.request(`smuggled-${n}-${i}`);
  };
  return [
    rawRequest(['GET /auth/me HTTP/1.1', HOST, 'Transfer-Encoding: chunked'], chunked(inner(0))),
    rawRequest(
      [
        `GET /users/${randomUUID()} HTTP/1.1`,
        HOST,
        'Connection: content-length',
        `Content-Length: ${inner(1).length}`,
      ],
      inner(1),
    ),
    rawRequest(
      [`DELETE /auth/sessions/${randomUUID()} HTTP/1.1`, HOST, 'Transfer-Encoding: chunked'],
      chunked(inner(2)),
    ),
    rawRequest(
      [`OPTIONS /users/${randomUUID()} HTTP/1.1`, HOST, 'Transfer-Encoding: chunked'],
      chunked(inner(3)),
    ),
    rawRequest(['POST /auth/login HTTP/1.1', HOST, 'Transfer-Encoding: gzip, chunked'], chunked(inner(4))),
    rawRequest(
      ['POST /auth/login HTTP/1.1', HOST, `Content-Length: ${inner(5).length}`, 'Transfer-Encoding: chunked'],
      inner(5),
    ),
    rawRequest(['GET /auth/me HTTP/1.1', HOST, 'Connection: upgrade', 'Upgrade: websocket'], inner(6)),
  ];
}

/** What a victim saw that was not its own answer. */
function mismatch(tag: string, probe: Probe, response: RawResponse | undefined): string | undefined {
  if (!response) return `${tag}: no answer`;
  let instance: unknown;
  let code: unknown;
  try {
    ({ instance, code } = jsonOf(response));
  } catch {
    return `${tag}: ${response.status} ${response.body.slice(0, 80)}`;
  }
  if (instance !== tag || response.status !== probe.status || code !== probe.code) {
    return `${tag}: got ${response.status} ${String(code)} for ${String(instance)}`;
  }
  return undefined;
}

/** One victim: keep-alive requests one by one, then three pipelined at once; every answer checked. */
async function victim(phase: string, id: number, mismatches: string[]): Promise<number> {
  let connection = await RawConnection.open(stack.port);
  let answered = 0;
  try {
    for (let i = 0; i < REQUESTS_PER_VICTIM; i += 3) {
      const batch = [0, 1, 2].map((k) => {
        const probe = PROBES[(id + i + k) % PROBES.length] as Probe;
        return { probe, tag: `${phase}-${id}-${i + k}-${randomUUID().slice(0, 8)}` };
      });
      if (connection.closed) connection = await RawConnection.open(stack.port);
      let responses: RawResponse[];
      if (i % 6 === 0) {
        responses = await connection.send(batch.map((b) => b.probe.request(b.tag)).join(''), 3);
      } else {
        responses = [];
        for (const b of batch) responses.push(...(await connection.send(b.probe.request(b.tag))));
      }
      batch.forEach((b, k) => {
        const wrong = mismatch(b.tag, b.probe, responses[k]);
        if (wrong) mismatches.push(wrong);
      });
      answered += responses.length;
    }
  } finally {
    connection.close();
  }
  return answered;
}

async function victims(phase: string, mismatches: string[]): Promise<number> {
  const counts = await Promise.all(Array.from({ length: VICTIMS }, (_, id) => victim(phase, id, mismatches)));
  return counts.reduce((a, b) => a + b, 0);
}

describe('response pairing under concurrency', () => {
  it('when many tagged clients share the gateway before, during and after smuggling attempts, then every client reads only its own answers and no smuggled request reaches a service', async () => {
    const mismatches: string[] = [];
    const hostile: { status: number; smuggledAnswer: boolean; line: string }[] = [];

    const before = await victims('before', mismatches);

    const attackers = Array.from({ length: ATTACKERS }, async (_, a) => {
      for (let n = 0; n < ATTACKS_PER_ATTACKER; n++) {
        for (const payload of attacks(a * 100 + n)) {
          const exchange = await rawExchange(stack.port, payload, { timeoutMs: 5000, responses: 1 });
          for (const response of exchange.responses)
            hostile.push({
              status: response.status,
              smuggledAnswer: response.body.includes('smuggled-'),
              line: payload.slice(0, payload.indexOf('\r\n')),
            });
        }
      }
    });
    const [during] = await Promise.all([victims('during', mismatches), ...attackers]);
    // Let any answer to a smuggled request land somewhere before looking.
    await new Promise((r) => setTimeout(r, 300));
    const after = await victims('after', mismatches);

    expect(mismatches).toEqual([]);
    expect(before + (during as number) + after).toBe(3 * VICTIMS * REQUESTS_PER_VICTIM);
    expect(hostile.filter((h) => h.smuggledAnswer)).toEqual([]);
    const reachedServices = [...stack.served.auth, ...stack.served.user].filter((r) =>
      String(r.headers['x-request-id']).startsWith('smuggled-'),
    );
    expect(reachedServices.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    // Every attempt was refused by the gateway itself, except the DELETE and OPTIONS with a chunked body:
    // those the gateway re-frames with a Content-Length, so the service answers them and the hidden
    // request stays body bytes (no service saw a smuggled request id, above).
    expect(hostile.length).toBe(ATTACKERS * ATTACKS_PER_ATTACKER * 7);
    expect(new Set(hostile.filter((h) => h.status !== 400).map((h) => h.line.split(' ')[0]))).toEqual(
      new Set(['DELETE', 'OPTIONS']),
    );
  }, 120_000);
});
