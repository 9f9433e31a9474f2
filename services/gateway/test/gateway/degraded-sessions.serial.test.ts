import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IdentityVerifier } from '@redwire/http-kit';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { createRedisClient, type RedisClient } from '@redwire/redis-kit';
import { freeze, thaw } from '@redwire/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../../src/identity/session-cache';
import { announceRevoked } from '../support/auth-events';
import { type GatewayStack, SIGNING_KEY, startGatewayStack } from '../support/gateway-stack';

// Degraded sessions against the gateway's own state Redis, frozen (SIGSTOP) or killed and restarted with
// its data: recently validated sessions keep working for safe methods within SESSION_DEGRADED_WINDOW,
// everything else fails fast with 503, and a revocation the gateway never saw is served for at most the
// window after the session's last successful check.

const WINDOW_MS = 2000;
const SESSION_DEADLINE_MS = 100;
// Timer lateness and the proxy hop on 2 shared cores.
const MARGIN_MS = 300;

let redis: RedisServer;
let stack: GatewayStack;
/** Plays auth's part: publishes revocation events. */
let auth: RedisClient;
const verifier = new IdentityVerifier({ key: SIGNING_KEY, audience: 'user' });

beforeAll(async () => {
  redis = await startRedisServer({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-gw-degraded-')) });
  stack = await startGatewayStack({
    redisUrl: redis.url,
    policies: [{ name: 'per-ip', identity: 'ip', limit: 10_000, period: 1, onRedisError: 'open' }],
    env: {
      SESSION_CHECK_DEADLINE: String(SESSION_DEADLINE_MS),
      SESSION_DEGRADED_WINDOW: String(WINDOW_MS),
      RATE_LIMIT_DEADLINE: '50',
    },
  });
  auth = createRedisClient({ url: redis.url, service: 'gateway-test', commandTimeoutMs: 5000 });
});
afterEach(() => {
  if (redis?.pid) thaw(redis.pid);
});
afterAll(async () => {
  auth?.disconnect();
  await stack?.stop();
  await redis?.stop();
});

interface Answer {
  status: number;
  ms: number;
  degraded: string | null;
  retryAfter: string | null;
  code: unknown;
}

async function call(token: string | undefined, method = 'GET', urlPath = '/users/1'): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(`${stack.url}${urlPath}`, {
    method,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  const text = await res.text();
  const body = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : {};
  return {
    status: res.status,
    ms: performance.now() - started,
    degraded: res.headers.get('redwire-degraded'),
    retryAfter: res.headers.get('retry-after'),
    code: (body as { code?: unknown }).code,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh, checked session: its last successful validation is now. */
async function validated(overrides = {}) {
  const session = await stack.login(overrides);
  expect((await call(session.token)).status).toBe(200);
  return session;
}

/** One sample of the gateway's /metrics: the series of `name` whose labels include `label` (if given). */
async function metric(name: string, label = ''): Promise<number> {
  const text = await (await fetch(`${stack.adminUrl}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(label));
  return Number(line?.split(' ').at(-1));
}

function expectFastRefusal(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.code).toBe('E_UNAVAILABLE');
  expect(answer.retryAfter).toBe('1');
  expect(answer.degraded).toBeNull();
  expect(answer.ms).toBeLessThan(SESSION_DEADLINE_MS + MARGIN_MS);
}

describe('degraded sessions (own state Redis)', () => {
  it('when the state Redis is frozen, then a recently checked session reads with its last identity and Redwire-Degraded, and writes, unknown and expired-window tokens get 503', async () => {
    const old = await validated();
    await sleep(WINDOW_MS / 2 + 200);
    const recent = await validated({ role: 'admin', tier: 'pro' });
    const neverChecked = await stack.login();
    const servedBefore = await metric('redwire_gateway_degraded_sessions_total', 'outcome="served"');
    // Past the short session cache (500 ms), so every token below is checked in Redis, which cannot answer.
    await sleep(600);
    freeze(redis.pid as number);

    const read = await call(recent.token);
    expect(read).toMatchObject({ status: 200, degraded: 'sessions' });
    expect(read.ms).toBeLessThan(SESSION_DEADLINE_MS + MARGIN_MS);
    const identity = await verifier.verify(stack.user.last().headers['x-redwire-identity'] as string);
    expect(identity).toMatchObject({ sub: recent.account.userId, role: 'admin', tier: 'pro' });
    expect(await call(recent.token, 'HEAD')).toMatchObject({ status: 200, degraded: 'sessions' });

    expectFastRefusal(await call(recent.token, 'PATCH'));
    expectFastRefusal(await call(recent.token, 'POST', '/auth/logout-all'));
    expectFastRefusal(await call(neverChecked.token));
    // Checked more than the window ago: too old to vouch for.
    await sleep(Math.max(0, WINDOW_MS / 2 + 200 - 700));
    expectFastRefusal(await call(old.token));
    // Anonymous reads are the limiter's business only (here: open).
    expect((await call(undefined)).status).toBe(200);

    expect(await metric('redwire_gateway_sessions_degraded')).toBe(1);
    expect(await metric('redwire_gateway_degraded_sessions_total', 'outcome="served"')).toBe(
      servedBefore + 2,
    );
    expect(
      await metric('redwire_gateway_degraded_sessions_total', 'outcome="refused_method"'),
    ).toBeGreaterThan(0);
    expect(
      await metric('redwire_gateway_degraded_sessions_total', 'outcome="refused_unknown"'),
    ).toBeGreaterThan(0);

    thaw(redis.pid as number);
    let after = await call(recent.token, 'PATCH');
    for (let i = 0; i < 20 && after.status !== 200; i++) {
      await sleep(100);
      after = await call(recent.token, 'PATCH');
    }
    expect(after).toMatchObject({ status: 200, degraded: null });
    expect(await metric('redwire_gateway_sessions_degraded')).toBe(0);
  });

  it('when the state Redis is killed and restarted with its data, then recent sessions read throughout and work fully once it is back', async () => {
    const { token } = await validated();
    await redis.stop();
    const during = await call(token);
    expect(during).toMatchObject({ status: 200, degraded: 'sessions' });
    expect(during.ms).toBeLessThan(SESSION_DEADLINE_MS + MARGIN_MS);
    expectFastRefusal(await call(token, 'DELETE'));
    await redis.start();
    let write = await call(token, 'PATCH');
    for (let i = 0; i < 50 && write.status !== 200; i++) {
      await sleep(100);
      write = await call(token, 'PATCH');
    }
    expect(write).toMatchObject({ status: 200, degraded: null });
  });

  it('when the gateway read the revocation event before the outage, then the revoked session gets 503 at once, never a degraded read', async () => {
    const { token, account } = await validated();
    await stack.sessions.revokeAll(account.tag);
    const sessionId = token.split('.')[0] as string;
    await announceRevoked(auth, stack.namespace, sessionId);
    const key = SessionCache.keyOf(token);
    for (let i = 0; i < 100 && stack.runtime.authenticator.lastKnown?.get(key); i++) await sleep(10);
    expect(stack.runtime.authenticator.lastKnown?.get(key)).toBeUndefined();
    freeze(redis.pid as number);
    expectFastRefusal(await call(token));
  });

  it('when Redis said the session is no longer valid before the outage, then it gets 503, never a degraded read', async () => {
    const { token, account } = await validated();
    // Revoked without an event (or the event was missed); the next check sees it.
    await stack.sessions.revokeAll(account.tag);
    await sleep(600); // past the short cache
    expect((await call(token)).status).toBe(401);
    freeze(redis.pid as number);
    expectFastRefusal(await call(token));
  });

  it('when a revocation acknowledged just before the outage never reached the gateway, then the session reads for at most the window after its last check, then 503', async () => {
    const { token, account } = await validated();
    const lastCheck = performance.now(); // at most this late; the check was sent before it
    // A logout-all: the sessions are deleted in Redis, and the outage begins before the event is read.
    await stack.sessions.revokeAll(account.tag);
    const revokedAt = performance.now();
    freeze(redis.pid as number);
    // For its first 500 ms the short session cache answers as always (revocation within 1 s); after that,
    // every answer below comes from the degraded path.
    await sleep(600);

    let lastServedAt = 0;
    let firstRefusedAt = 0;
    while (performance.now() - lastCheck < WINDOW_MS + 1000) {
      const answer = await call(token);
      if (answer.status === 200) {
        expect(firstRefusedAt).toBe(0); // never served again once refused
        lastServedAt = performance.now();
      } else {
        expect(answer.status).toBe(503);
        firstRefusedAt ||= performance.now();
      }
      expectFastRefusal(await call(token, 'PATCH'));
      await sleep(100);
    }
    // The bound: degraded reads of the revoked session end within the window of its last successful check,
    // which came before the revocation; so at most the window after the revocation.
    expect(lastServedAt).toBeGreaterThan(revokedAt);
    expect(lastServedAt - lastCheck).toBeLessThan(WINDOW_MS + MARGIN_MS);
    expect(firstRefusedAt).toBeGreaterThan(0);
    expect(firstRefusedAt - lastCheck).toBeLessThan(WINDOW_MS + 2 * MARGIN_MS);
  });
});

describe('degraded sessions turned off', () => {
  it('when SESSION_DEGRADED_WINDOW is 0 and the state Redis is frozen, then a recently checked token gets 503', async () => {
    const off = await startGatewayStack({
      redisUrl: redis.url,
      namespace: stack.namespace,
      env: { SESSION_CHECK_DEADLINE: String(SESSION_DEADLINE_MS), SESSION_DEGRADED_WINDOW: '0' },
    });
    try {
      const { token } = await stack.login();
      expect(
        (await fetch(`${off.url}/users/1`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      await sleep(600);
      freeze(redis.pid as number);
      const res = await fetch(`${off.url}/users/1`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('redwire-degraded')).toBeNull();
      thaw(redis.pid as number);
    } finally {
      thaw(redis.pid as number);
      await off.stop();
    }
  });
});
