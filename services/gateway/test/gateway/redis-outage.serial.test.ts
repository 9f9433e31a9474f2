import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { pauseRedis } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

const RATE_LIMIT_DEADLINE_MS = 50;
const SESSION_DEADLINE_MS = 100;
// Covers timer lateness and the proxy hop on 2 cores shared with other suites (load averages of 15 seen);
// the pause lasts 4 s, so anything under this bound proves the deadline, not Redis, ended the wait.
const MARGIN_MS = 300;

let redis: RedisServer;
let stack: GatewayStack;
beforeAll(async () => {
  redis = await startRedisServer();
  // The built-in policies: anon-ip local, ip open, login-ip and register-ip closed.
  stack = await startGatewayStack({
    redisUrl: redis.url,
    env: {
      RATE_LIMIT_DEADLINE: String(RATE_LIMIT_DEADLINE_MS),
      SESSION_CHECK_DEADLINE: String(SESSION_DEADLINE_MS),
      // Degraded sessions off: this file is about the fail-fast path (degraded-sessions.serial.test.ts).
      SESSION_DEGRADED_WINDOW: '0',
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

async function timedFetch(path: string, init?: RequestInit) {
  const started = performance.now();
  const res = await fetch(`${stack.url}${path}`, init);
  const body = await res.text();
  return { res, body, ms: performance.now() - started };
}

describe('gateway while Redis is paused', () => {
  it('when Redis stalls, then each request is decided within its deadline by the policy failure modes, and a token-bearing one gets 503', async () => {
    const { token } = await stack.login();
    expect((await timedFetch('/users/1', { headers: { authorization: `Bearer ${token}` } })).res.status).toBe(
      200,
    );
    await pauseRedis(redis.url, 4000);
    // Past the session cache's 500 ms, so the token must be checked in Redis again.
    await new Promise((r) => setTimeout(r, 600));

    const withToken = await timedFetch('/users/1', { headers: { authorization: `Bearer ${token}` } });
    expect(withToken.res.status).toBe(503);
    expect(JSON.parse(withToken.body)).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(withToken.ms).toBeLessThan(SESSION_DEADLINE_MS + MARGIN_MS);

    const anonymous = await timedFetch('/users/1');
    expect(anonymous.res.status).toBe(200);
    expect(anonymous.res.headers.get('ratelimit-mode')).toBe('degraded-local');
    expect(anonymous.res.headers.get('ratelimit-policy')).toBe('"anon-ip";q=20;w=1');
    expect(anonymous.ms).toBeLessThan(RATE_LIMIT_DEADLINE_MS + MARGIN_MS);

    const login = await timedFetch('/auth/login', { method: 'POST', body: '{}' });
    expect(login.res.status).toBe(503);
    expect(JSON.parse(login.body)).toMatchObject({
      type: 'https://iana.org/assignments/http-problem-types#temporary-reduced-capacity',
      code: 'E_UNAVAILABLE',
      'violated-policies': ['login-ip'],
    });
    expect(login.ms).toBeLessThan(RATE_LIMIT_DEADLINE_MS + MARGIN_MS);

    const ready = await fetch(`${stack.adminUrl}/readyz`);
    expect(ready.status).toBe(503);
    const metrics = await (await fetch(`${stack.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/gateway_ratelimit_degraded_total\{mode="local"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_ratelimit_degraded_total\{mode="closed"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_ratelimit_fail_open_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(/gateway_ratelimit_degraded\{[^}]*\} 1/);
  });

  it('when Redis answers again, then requests are decided in Redis again', async () => {
    await new Promise((r) => setTimeout(r, 4200));
    let res = await fetch(`${stack.url}/users/1`);
    // The breaker may still be open for up to its open duration; then its probe closes it.
    for (let i = 0; i < 20 && res.headers.get('ratelimit-mode') !== null; i++) {
      await new Promise((r) => setTimeout(r, 200));
      res = await fetch(`${stack.url}/users/1`);
    }
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-mode')).toBeNull();
    expect(res.headers.get('ratelimit-policy')).toContain('"anon-ip"');
  });
});

describe('gateway started without Redis', () => {
  it('when Redis is unreachable from the start, then the gateway serves (failure modes) and shuts down promptly', async () => {
    const down = await startRedisServer();
    await down.stop();
    const started = performance.now();
    const lonely = await startGatewayStack({ redisUrl: down.url, env: { RATE_LIMIT_DEADLINE: '50' } });
    try {
      const res = await fetch(`${lonely.url}/users/1`);
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-mode')).toBe('degraded-local');
    } finally {
      const closing = performance.now();
      await lonely.stop();
      expect(performance.now() - closing).toBeLessThan(4000);
    }
    expect(performance.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
