import { randomUUID } from 'node:crypto';
import { chunked, jsonOf, RawConnection, type RawResponse, rawExchange, rawRequest } from '@redwire/testing';

// Many clients, each request tagged with its own X-Request-Id, which the real services echo as the
// problem's `instance`: a client that reads an answer carrying another tag was handed someone else's
// response from a pooled upstream socket.

const HOST = 'Host: 127.0.0.1';

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

/** Tags of smuggled requests start with this; no service may ever receive one. */
export const SMUGGLED_TAG = 'smuggled-';

/**
 * Hostile requests, each hiding a complete tagged request in its body. The gateway refuses all but the
 * DELETE and the OPTIONS with a chunked body, which it accepts and re-frames with a Content-Length.
 */
export function attacks(n: number): string[] {
  const inner = (i: number) => (PROBES[i % PROBES.length] as Probe).request(`${SMUGGLED_TAG}${n}-${i}`);
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

/** The methods of {@link attacks} the gateway accepts (and re-frames). */
export const REFRAMED_ATTACK_METHODS = ['DELETE', 'OPTIONS'];

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

/** One victim: keep-alive requests one by one, and three pipelined at once; every answer checked. */
async function victim(port: number, phase: string, id: number, requests: number, mismatches: string[]) {
  let connection = await RawConnection.open(port);
  let answered = 0;
  try {
    for (let i = 0; i < requests; i += 3) {
      const batch = [0, 1, 2].map((k) => {
        const probe = PROBES[(id + i + k) % PROBES.length] as Probe;
        return { probe, tag: `${phase}-${id}-${i + k}-${randomUUID().slice(0, 8)}` };
      });
      if (connection.closed) connection = await RawConnection.open(port);
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

/** Options of {@link checkResponsePairing}. */
export interface PairingOptions {
  readonly victims: number;
  /** Requests per victim per phase (a multiple of 3). */
  readonly requestsPerVictim: number;
  readonly attackers: number;
  /** Rounds of every attack, per attacker. */
  readonly rounds: number;
}

/** What {@link checkResponsePairing} saw. */
export interface PairingReport {
  /** Answers a victim read that were not its own (or no answer). */
  readonly mismatches: string[];
  /** Answers victims read, over the three phases. */
  readonly answered: number;
  /** The first answer to each hostile request. */
  readonly hostile: { readonly method: string; readonly status: number; readonly smuggledAnswer: boolean }[];
}

/**
 * Tagged victims on the gateway at `port` before, during and after a wave of smuggling attempts on the
 * same gateway, so the same upstream pools carry both.
 */
export async function checkResponsePairing(port: number, options: PairingOptions): Promise<PairingReport> {
  const mismatches: string[] = [];
  const hostile: PairingReport['hostile'][number][] = [];
  const victims = async (phase: string) => {
    const counts = await Promise.all(
      Array.from({ length: options.victims }, (_, id) =>
        victim(port, phase, id, options.requestsPerVictim, mismatches),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
  const before = await victims('before');
  const attackers = Array.from({ length: options.attackers }, async (_, a) => {
    for (let n = 0; n < options.rounds; n++) {
      for (const payload of attacks(a * 1000 + n)) {
        const exchange = await rawExchange(port, payload, { timeoutMs: 5000, responses: 1 });
        for (const response of exchange.responses)
          hostile.push({
            method: payload.slice(0, payload.indexOf(' ')),
            status: response.status,
            smuggledAnswer: response.body.includes(SMUGGLED_TAG),
          });
      }
    }
  });
  const [during] = await Promise.all([victims('during'), ...attackers]);
  // Let any answer to a smuggled request land somewhere before the last phase looks.
  await new Promise((r) => setTimeout(r, 300));
  const after = await victims('after');
  return { mismatches, answered: before + (during as number) + after, hostile };
}
