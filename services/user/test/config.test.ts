import { describe, expect, it } from 'vitest';
import { cacheRedisTarget, loadQueuesConfig, loadServiceConfig, loadWorkerConfig } from '../src/config';

const base = {
  DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/app',
  IDENTITY_SIGNING_KEY: 'a-real-looking-identity-signing-key-0123456789',
};
const cluster = { REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001' };
const seeds = ['redis://127.0.0.1:7000', 'redis://127.0.0.1:7001'];

describe('the user service’s Redis settings', () => {
  it('when the state is a cluster and CACHE_REDIS_URL names a node, then the cache is that one node', () => {
    const config = loadServiceConfig({ ...base, ...cluster, CACHE_REDIS_URL: 'redis://127.0.0.1:6391' });
    expect(cacheRedisTarget(config)).toEqual({
      target: { url: 'redis://127.0.0.1:6391' },
      onStateCluster: false,
    });
  });

  it('when the state is a cluster and there is no CACHE_REDIS_URL, then the cache shares the cluster and says so', () => {
    const service = loadServiceConfig({ ...base, ...cluster });
    const worker = loadWorkerConfig({ DATABASE_URL: base.DATABASE_URL, ...cluster });
    for (const config of [service, worker]) {
      expect(cacheRedisTarget(config)).toEqual({ target: { clusterNodes: seeds }, onStateCluster: true });
    }
  });

  it('when the state is one server and there is no CACHE_REDIS_URL, then the cache shares that server, as before', () => {
    const config = loadServiceConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6390' });
    expect(cacheRedisTarget(config)).toEqual({
      target: { url: 'redis://127.0.0.1:6390' },
      onStateCluster: false,
    });
  });

  it('when the service, the worker or the queue dashboard gets both or neither state setting, then each refuses to start', () => {
    const both = { REDIS_URL: 'redis://127.0.0.1:6390', ...cluster };
    expect(() => loadServiceConfig({ ...base, ...both })).toThrow(/REDIS_CLUSTER_NODES: give either/);
    expect(() => loadWorkerConfig({ DATABASE_URL: base.DATABASE_URL })).toThrow(/REDIS_URL: is required/);
    expect(() => loadQueuesConfig({})).toThrow(/REDIS_URL: is required/);
    expect(loadQueuesConfig(cluster).REDIS_CLUSTER_NODES).toEqual(seeds);
  });
});
