import { createRedisClient, type RedisClient, waitForReady } from '@redwire/redis-kit';
import { sharedServers } from '@redwire/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceRevoked } from '../support/auth-events';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

let stack: GatewayStack;
let redis: RedisClient;
beforeAll(async () => {
  stack = await startGatewayStack({
    policies: [{ name: 'per-ip', identity: 'ip', limit: 1000, period: 60 }],
    env: { SESSION_CACHE_TTL: '1000' },
  });
  redis = createRedisClient({ url: sharedServers().redisUrl, service: 'gateway-test' });
  await waitForReady(redis);
});
afterAll(async () => {
  redis.disconnect();
  await stack.stop();
});

describe('session cache and auth-events', () => {
  it('when auth publishes session.revoked, then the cached validation is evicted at once, well before its TTL', async () => {
    const { token, account } = await stack.login();
    const auth = { authorization: `Bearer ${token}` };
    expect((await fetch(`${stack.url}/users/1`, { headers: auth })).status).toBe(200);

    // Revoked in Redis but not yet announced: the cached validation still answers (up to its 1 s TTL).
    await stack.sessions.revokeAll(account.tag);
    expect((await fetch(`${stack.url}/users/1`, { headers: auth })).status).toBe(200);

    const sessionId = token.split('.')[0] as string;
    const published = performance.now();
    await announceRevoked(redis, stack.namespace, sessionId);
    let status = 200;
    while (status === 200 && performance.now() - published < 2000) {
      await new Promise((r) => setTimeout(r, 20));
      status = (await fetch(`${stack.url}/users/1`, { headers: auth })).status;
    }
    expect(status).toBe(401);
    expect(performance.now() - published).toBeLessThan(700);
  });
});
