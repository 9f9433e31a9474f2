import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config';

const base = {
  REDIS_URL: 'redis://127.0.0.1:6379',
  IDENTITY_SIGNING_KEY: 'a-real-looking-identity-signing-key-0123456789',
};

describe('gateway config', () => {
  it('when only the required variables are set, then the defaults of the README apply', () => {
    const config = loadGatewayConfig(base);
    expect(config).toMatchObject({
      PORT: 8080,
      ADMIN_PORT: 9080,
      HOST: '127.0.0.1',
      RATE_LIMIT_DEADLINE: 50,
      SESSION_CHECK_DEADLINE: 100,
      SESSION_CACHE_TTL: 500,
      SESSION_DEGRADED_WINDOW: 60_000,
      SESSION_DEGRADED_MAX_ENTRIES: 10_000,
      UPSTREAM_TIMEOUT: 3000,
      TRUSTED_PROXY_HOPS: 0,
      IPV6_SUBNET: 56,
      USER_SERVICE_URL: 'http://127.0.0.1:8081',
      AUTH_SERVICE_URL: 'http://127.0.0.1:8082',
      MAX_REQUEST_BODY: 65_536,
      BODY_READ_TIMEOUT: 10_000,
      MAX_CONNECTIONS_PER_CLIENT: 128,
      MAX_IN_FLIGHT_PER_CLIENT: 32,
      MAX_UPLOADS_PER_CLIENT: 8,
      HEADERS_TIMEOUT: 10_000,
      REQUEST_TIMEOUT: 30_000,
      KEEP_ALIVE_TIMEOUT: 65_000,
      MAX_HEADERS_COUNT: 100,
      MAX_HEADER_SIZE: 16_384,
    });
  });

  it('when the header deadline is longer than the request deadline, then start-up is refused (Node would throw later)', () => {
    expect(() => loadGatewayConfig({ ...base, HEADERS_TIMEOUT: '40s', REQUEST_TIMEOUT: '30s' })).toThrow(
      /HEADERS_TIMEOUT/,
    );
  });

  it('when the development signing key is used in production, then start-up is refused', () => {
    expect(() =>
      loadGatewayConfig({
        ...base,
        NODE_ENV: 'production',
        IDENTITY_SIGNING_KEY: 'dev-only-identity-signing-key-do-not-use-in-production',
      }),
    ).toThrow(/development/);
  });

  it('when values are out of range, then one error lists every bad key', () => {
    let message = '';
    try {
      loadGatewayConfig({
        IDENTITY_SIGNING_KEY: 'short',
        SESSION_CACHE_TTL: '5s',
        SESSION_DEGRADED_WINDOW: '2h',
        TRUSTED_PROXY_HOPS: '99',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    for (const key of [
      'REDIS_URL',
      'IDENTITY_SIGNING_KEY',
      'SESSION_CACHE_TTL',
      'SESSION_DEGRADED_WINDOW',
      'TRUSTED_PROXY_HOPS',
    ]) {
      expect(message).toContain(key);
    }
  });
});

describe('gateway config: the state Redis', () => {
  const key = { IDENTITY_SIGNING_KEY: base.IDENTITY_SIGNING_KEY };

  it('when REDIS_CLUSTER_NODES lists host:port seeds, then they load as URLs and REDIS_URL is not needed', () => {
    const config = loadGatewayConfig({ ...key, REDIS_CLUSTER_NODES: 'redis-0:6379, redis-1:6379' });
    expect(config.REDIS_CLUSTER_NODES).toEqual(['redis://redis-0:6379', 'redis://redis-1:6379']);
    expect(config.REDIS_URL).toBeUndefined();
  });

  it('when both REDIS_URL and REDIS_CLUSTER_NODES are set, then start-up is refused', () => {
    expect(() => loadGatewayConfig({ ...base, REDIS_CLUSTER_NODES: 'redis-0:6379' })).toThrow(
      /REDIS_CLUSTER_NODES: give either REDIS_URL or REDIS_CLUSTER_NODES, not both/,
    );
  });
});
