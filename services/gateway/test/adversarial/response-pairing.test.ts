import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attacks, checkResponsePairing, REFRAMED_ATTACK_METHODS, SMUGGLED_TAG } from './support/pairing';
import { type RealStack, startRealStack } from './support/real-stack';

// Response pairing under concurrency, in-process: many tagged clients, before, during and after
// smuggling attempts, through the real gateway to the real services (support/pairing.ts). The same check
// runs against the spawned `npm start` stack in npm-start.serial.test.ts.

const OPTIONS = { victims: 12, requestsPerVictim: 18, attackers: 4, rounds: 8 };
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

describe('response pairing under concurrency', () => {
  it('when many tagged clients share the gateway before, during and after smuggling attempts, then every client reads only its own answers and no smuggled request reaches a service', async () => {
    const report = await checkResponsePairing(stack.port, OPTIONS);

    expect(report.mismatches).toEqual([]);
    expect(report.answered).toBe(3 * OPTIONS.victims * OPTIONS.requestsPerVictim);
    expect(report.hostile.filter((h) => h.smuggledAnswer)).toEqual([]);
    const reached = [...stack.served.auth, ...stack.served.user].filter((r) =>
      String(r.headers['x-request-id']).startsWith(SMUGGLED_TAG),
    );
    expect(reached.map((r) => `${r.method} ${r.url}`)).toEqual([]);
    // Every attempt was refused by the gateway itself, except those it re-frames with a Content-Length
    // (the service answers them, and the hidden request stays body bytes: no service saw its id, above).
    expect(report.hostile).toHaveLength(OPTIONS.attackers * OPTIONS.rounds * attacks(0).length);
    expect(new Set(report.hostile.filter((h) => h.status !== 400).map((h) => h.method))).toEqual(
      new Set(REFRAMED_ATTACK_METHODS),
    );
  }, 120_000);
});
