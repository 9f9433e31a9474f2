import {
  ConfigError,
  env,
  loadConfig,
  requireOneStateRedis,
  stateRedisEnv,
  stateRedisTarget,
} from '@redwire/config';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const schema = z
  .object({ ...stateRedisEnv, PORT: env.port().default(8081) })
  .superRefine(...requireOneStateRedis);

function problems(source: Record<string, string>): string[] {
  try {
    loadConfig(schema, source);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues.map((i) => `${i.key}: ${i.problem}`);
    throw error;
  }
  return [];
}

describe('the state Redis settings', () => {
  it('when REDIS_URL alone is set, then the target is that one server', () => {
    const config = loadConfig(schema, { REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(stateRedisTarget(config)).toEqual({ url: 'redis://127.0.0.1:6379' });
  });

  it('when REDIS_CLUSTER_NODES lists host:port seeds and URLs, then the target is a cluster of URLs in that order', () => {
    const config = loadConfig(schema, {
      REDIS_CLUSTER_NODES: ' 127.0.0.1:7000, redis-0.redis:6379 ,[::1]:7002,rediss://app:pw@r.example:6380,',
    });
    expect(stateRedisTarget(config)).toEqual({
      clusterNodes: [
        'redis://127.0.0.1:7000',
        'redis://redis-0.redis:6379',
        'redis://[::1]:7002',
        'rediss://app:pw@r.example:6380',
      ],
    });
  });

  it('when neither is set, then the error names REDIS_URL together with every other bad key', () => {
    expect(problems({ PORT: 'x' }).sort()).toEqual([
      'PORT: must be an integer port between 0 and 65535',
      'REDIS_URL: is required (or REDIS_CLUSTER_NODES)',
    ]);
  });

  it('when both are set, then it refuses to guess', () => {
    expect(problems({ REDIS_URL: 'redis://h:1', REDIS_CLUSTER_NODES: 'h:2' })).toEqual([
      'REDIS_CLUSTER_NODES: give either REDIS_URL or REDIS_CLUSTER_NODES, not both',
    ]);
  });

  it.each([
    ['a bare host', 'redis-0'],
    ['a port out of range', '127.0.0.1:70000'],
    ['another scheme', 'http://h:6379'],
    ['only commas', ' , '],
    ['one bad entry among good ones', '127.0.0.1:7000,not a node'],
  ])('when REDIS_CLUSTER_NODES holds %s, then it is refused without quoting the value', (_, value) => {
    const found = problems({ REDIS_CLUSTER_NODES: value });
    expect(found).toEqual([
      'REDIS_CLUSTER_NODES: must be a comma-separated list of host:port or redis:// URLs (at least one)',
    ]);
    expect(found.join('\n')).not.toContain(value.trim() || '\u0000');
  });
});
