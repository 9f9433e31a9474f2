import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthFixture, anEmail, authFixture } from './support/auth-stack';

// A measurement, not a pass/fail timing check: it prints the latency ratio of the two login failure paths
// (unknown user vs wrong password), interleaved so load drift hits both alike. The test asserts only what
// is deterministic: identical answers and one verification per attempt.
describe('login failure latency (measured, not asserted)', () => {
  let f: AuthFixture;
  const verifications: string[] = [];
  beforeAll(async () => {
    // Back-off out of the way: every attempt must reach the password check.
    f = await authFixture({ LOGIN_BACKOFF_AFTER: '100' }, { onVerify: (kind) => verifications.push(kind) });
  });
  afterAll(() => f.close());

  it('when unknown-user and wrong-password logins alternate, then their latencies are reported', async () => {
    const rounds = Number(process.env.LOGIN_LATENCY_ROUNDS ?? 30);
    const known: string[] = [];
    for (let i = 0; i < 4; i++) {
      const email = anEmail('known');
      await f.register(email);
      known.push(email);
    }
    const attempt = async (email: string) => {
      const t0 = performance.now();
      const res = await f.gw.call('POST', '/auth/login', {
        body: { email, password: 'definitely the wrong password' },
      });
      const ms = performance.now() - t0;
      const { instance, ...body } = res.body;
      return { ms, status: res.status, body: JSON.stringify(body) };
    };
    await attempt(anEmail('warm'));
    await attempt(known[0] as string);
    verifications.length = 0;
    const unknown: number[] = [];
    const wrong: number[] = [];
    const bodies = new Set<string>();
    for (let i = 0; i < rounds; i++) {
      const pair = i % 2 === 0 ? ['unknown', 'wrong'] : ['wrong', 'unknown'];
      for (const kind of pair) {
        const r = await attempt(kind === 'unknown' ? anEmail('nobody') : (known[i % known.length] as string));
        expect(r.status).toBe(401);
        bodies.add(r.body);
        (kind === 'unknown' ? unknown : wrong).push(r.ms);
      }
    }
    expect(bodies.size).toBe(1);
    expect(verifications.filter((k) => k === 'dummy')).toHaveLength(rounds);
    expect(verifications.filter((k) => k === 'account')).toHaveLength(rounds);

    const pct = (xs: number[], p: number) =>
      [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] as number;
    const med = { unknown: pct(unknown, 0.5), wrong: pct(wrong, 0.5) };
    console.info(
      `login failure latency over ${rounds} interleaved pairs: unknown user p50 ${med.unknown.toFixed(1)} ms ` +
        `(p90 ${pct(unknown, 0.9).toFixed(1)}), wrong password p50 ${med.wrong.toFixed(1)} ms ` +
        `(p90 ${pct(wrong, 0.9).toFixed(1)}); ratio unknown/wrong p50 = ${(med.unknown / med.wrong).toFixed(3)}`,
    );
  });
});
