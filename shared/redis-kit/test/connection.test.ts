import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, type RedisServer, startRedisServer } from '@redwire/launchers';
import { countRedisClients } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRedis,
  connectionName,
  createRedisClient,
  InvalidOptionsError,
  RedisConnections,
  redactTarget,
  waitForReady,
} from '../src/index';
import { masters, TOPOLOGIES, useRedis } from './support/topologies';

function nodeUrl(node: Redis): string {
  return `redis://${node.options.host}:${node.options.port}`;
}

describe.each(TOPOLOGIES)('createRedisClient (%s)', (topology) => {
  const redis = useRedis(topology);

  it('when a request-path client is created, then it never queues, retries or re-sends and has a timeout', async () => {
    const client = await redis.client({ commandTimeoutMs: 321 });
    const options =
      client instanceof Cluster ? { ...client.options, ...client.options.redisOptions } : client.options;
    expect(options).toMatchObject({
      commandTimeout: 321,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      enableOfflineQueue: false,
    });
    if (client instanceof Cluster) expect(client.options.retryDelayOnFailover).toBe(0);
  });

  it('when a blocking client is created, then commands wait for a reconnect and there is no command timeout', async () => {
    const client = await redis.client({ kind: 'blocking', purpose: 'opts' });
    const options =
      client instanceof Cluster ? { ...client.options, ...client.options.redisOptions } : client.options;
    expect(options.maxRetriesPerRequest).toBeNull();
    expect(options.commandTimeout).toBeUndefined();
    expect(options.enableOfflineQueue).toBe(true);
  });

  it('when clients connect, then each carries its <service>:<role>:<kind>[:<purpose>] name', async () => {
    const service = `names-${topology}`;
    const request = await redis.client({ service, role: 'cache' });
    const blocking = await redis.client({ service, kind: 'blocking', purpose: 'user-events' });
    // Cluster opens a node's connection on its first command.
    await Promise.all([...masters(request), ...masters(blocking)].map((node) => node.ping()));
    for (const node of masters(request)) {
      const url = nodeUrl(node);
      expect(await countRedisClients(url, `${service}:cache:request`)).toBe(1);
      expect(await countRedisClients(url, `${service}:state:blocking:user-events`)).toBe(1);
    }
  });

  it('when checked for readiness, then it reports ok with a latency', async () => {
    const health = await checkRedis(await redis.client());
    expect(health.ok).toBe(true);
    expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.latencyMs).toBeLessThan(1000);
  });
});

describe('RedisConnections', () => {
  it('when a role is asked for twice, then the same client comes back; blocking connections are new each time', async () => {
    const service = 'pool-test';
    const connections = new RedisConnections({ service, state: { url: sharedServers().redisUrl } });
    const state = connections.request('state');
    expect(connections.request('state')).toBe(state);
    const cache = connections.request('cache');
    expect(cache).not.toBe(state);
    const consumerA = connections.blocking('consumer');
    const consumerB = connections.blocking('consumer');
    expect(consumerA).not.toBe(consumerB);
    await Promise.all([state, cache, consumerA, consumerB].map((c) => waitForReady(c)));
    const url = sharedServers().redisUrl;
    expect(await countRedisClients(url, `${service}:state:request`)).toBe(1);
    expect(await countRedisClients(url, `${service}:cache:request`)).toBe(1);
    expect(await countRedisClients(url, `${service}:state:blocking:consumer`)).toBe(2);
    const health = await connections.check();
    expect(health.state.ok && health.cache.ok).toBe(true);

    await connections.close();
    for (const name of ['state:request', 'cache:request', 'state:blocking:consumer']) {
      expect(await countRedisClients(url, `${service}:${name}`)).toBe(0);
    }
    expect(() => connections.request()).toThrow(/closed/);
  });

  it('when a setting is invalid, then the constructor refuses at start-up', () => {
    expect(
      () =>
        new RedisConnections({
          service: 'x',
          state: { url: 'http://nope' },
          client: { commandTimeoutMs: 5 },
        }),
    ).toThrow(InvalidOptionsError);
    expect(
      () =>
        new RedisConnections({ service: 'x', state: { url: 'redis://h' }, client: { commandTimeoutMs: -1 } }),
    ).toThrow(/commandTimeoutMs/);
  });
});

describe('options and targets', () => {
  it.each([
    ['no target', { service: 's' }, /url or a non-empty clusterNodes/],
    ['both targets', { service: 's', url: 'redis://h', clusterNodes: [{ host: 'h', port: 1 }] }, /not both/],
    ['a bad scheme', { service: 's', url: 'http://h' }, /scheme/],
    ['a database on Cluster', { service: 's', clusterNodes: ['redis://h:1/2'] }, /database 0/],
    ['a bad service name', { url: 'redis://h', service: 'Has Space' }, /service/],
    ['a zero timeout', { url: 'redis://h', service: 's', commandTimeoutMs: 0 }, /commandTimeoutMs/],
  ])('when given %s, then createRedisClient throws InvalidOptionsError', (_, options, message) => {
    expect(() => createRedisClient(options as never)).toThrow(InvalidOptionsError);
    expect(() => createRedisClient(options as never)).toThrow(message);
  });

  it('when logging a target, then the password is redacted', () => {
    expect(redactTarget({ url: 'redis://app:s3cret@h:6379/1' })).toBe('redis://app:***@h:6379/1');
    expect(redactTarget({ clusterNodes: ['redis://:pw@a:1', { host: 'b', port: 2 }] })).toBe(
      'redis://:***@a:1,b:2',
    );
  });

  it('when naming a connection, then role and kind default to state and request', () => {
    expect(connectionName({ service: 'gateway' })).toBe('gateway:state:request');
    expect(connectionName({ service: 'user', role: 'cache', kind: 'blocking', purpose: 'l1' })).toBe(
      'user:cache:blocking:l1',
    );
  });

  it('when nothing listens, then a request-path command fails at once and readiness says why', async () => {
    const port = await freePort();
    const client = createRedisClient({
      url: `redis://127.0.0.1:${port}`,
      service: 'dead',
      connectTimeoutMs: 200,
    });
    try {
      const started = Date.now();
      await expect(client.get('k')).rejects.toThrow(/enableOfflineQueue|writeable|closed/i);
      expect(Date.now() - started).toBeLessThan(1000);
      const health = await checkRedis(client, { timeoutMs: 300 });
      expect(health.ok).toBe(false);
      expect(health.error).toBeTruthy();
      await expect(waitForReady(client, 300)).rejects.toThrow(/not ready after 300 ms/);
    } finally {
      client.disconnect();
    }
  });
});

describe('ACL users from the URL', () => {
  let server: RedisServer;
  const password = 'p@ss:w/rd%1';
  beforeAll(async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-acl-'));
    const aclFile = path.join(dir, 'users.acl');
    // The harness's readiness probe connects without credentials, so `default` stays usable; the test
    // proves the client authenticates as `app` with ACL WHOAMI.
    fs.writeFileSync(aclFile, `user default on nopass ~* &* +@all\nuser app on >${password} ~* &* +@all\n`);
    server = await startRedisServer({ aclFile });
  });
  afterAll(() => server.stop());

  it('when the URL carries user and (encoded) password, then the client authenticates as that user', async () => {
    const url = `redis://app:${encodeURIComponent(password)}@127.0.0.1:${server.port}`;
    const client = createRedisClient({ url, service: 'acl' });
    try {
      await waitForReady(client);
      expect(await client.call('ACL', 'WHOAMI')).toBe('app');
    } finally {
      client.disconnect();
    }
  });

  it('when the password is wrong, then readiness fails with the server error and no secret', async () => {
    const client = createRedisClient({ url: `redis://app:wrong@127.0.0.1:${server.port}`, service: 'acl' });
    try {
      const error = await waitForReady(client, 5000).catch((e: Error) => e);
      expect(String(error)).toMatch(/WRONGPASS|invalid username-password/);
      expect(String(error)).not.toContain('wrong@');
    } finally {
      client.disconnect();
    }
  });
});
