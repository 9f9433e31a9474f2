import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgresServer, startRedisServer } from '@redwire/launchers';
import { killRedisClients, pauseRedis, uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';

describe('test harness', () => {
  it('when the suite runs, then a real Redis answers PING and reports its version', async () => {
    const redis = new Redis(sharedServers().redisUrl);
    expect(await redis.ping()).toBe('PONG');
    const info = await redis.info('server');
    expect(info).toMatch(/redis_version:\d+\.\d+/);
    redis.disconnect();
  });

  it('when the suite runs, then a real PostgreSQL answers in a fresh database', async () => {
    const db = await freshDatabase();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ db: string; version: string }>(
      'SELECT current_database() AS db, version() AS version',
    );
    expect(rows[0]?.db).toBe(db.name);
    expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    await client.end();
    await db.drop();
  });

  describe('the 3-node cluster', () => {
    const cluster = new Cluster(sharedServers().clusterNodes);
    afterAll(() => cluster.disconnect());
    const script = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1";

    it('when a two-key script keeps its keys in one slot with a {tag}, then it runs', async () => {
      const tag = uniquePrefix();
      const result = await cluster.eval(script, 2, `{${tag}}:a`, `{${tag}}:b`, 'v');
      expect(result).toBe(1);
      expect(await cluster.get(`{${tag}}:b`)).toBe('v');
    });

    it('when a two-key script spans slots without a tag, then Redis answers CROSSSLOT', async () => {
      const nodes = await cluster.nodes('master');
      expect(nodes).toHaveLength(3);
      // Keys "a" and "b" hash to different slots (15495 and 3300), so one node cannot run the script.
      await expect(cluster.eval(script, 2, 'a', 'b', 'v')).rejects.toThrow(/CROSSSLOT/);
    });
  });

  it('when Redis is paused, then a command waits until the pause ends', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url);
    await client.ping();
    await pauseRedis(server.url, 300);
    const started = Date.now();
    await client.set('k', 'v');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    client.disconnect();
    await server.stop();
  });

  it('when a client is killed by name, then it loses its connection and the server counts one kill', async () => {
    const url = sharedServers().redisUrl;
    const name = uniquePrefix('victim');
    const client = new Redis(url, { connectionName: name, retryStrategy: () => null });
    client.on('error', () => {});
    await client.ping();
    const closed = new Promise((resolve) => client.once('end', resolve));
    expect(await killRedisClients(url, { name })).toBe(1);
    await closed;
    expect(client.status).toBe('end');
  });

  it('when the ACL file turns the default user off, then the server still starts and only named users get in', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acl-'));
    const aclFile = path.join(dir, 'users.acl');
    fs.writeFileSync(aclFile, 'user default off\nuser probe on >probe-password ~* +@all\n');
    const server = await startRedisServer({ aclFile });
    const anonymous = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => {});
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow();
    anonymous.disconnect();
    const probe = new Redis(server.url, { username: 'probe', password: 'probe-password' });
    expect(await probe.ping()).toBe('PONG');
    probe.disconnect();
    await server.stop();
  });

  it('when a Redis or PostgreSQL server is stopped and started, then it answers again on the same port', async () => {
    const redis = await startRedisServer();
    await redis.stop();
    expect(redis.running).toBe(false);
    await redis.start();
    const client = new Redis(redis.url);
    expect(await client.ping()).toBe('PONG');
    client.disconnect();
    await redis.stop();

    const postgres = await startPostgresServer();
    await postgres.stop({ remove: false });
    await postgres.start();
    const pgClient = new pg.Client({ connectionString: postgres.adminUrl });
    await pgClient.connect();
    expect((await pgClient.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await pgClient.end();
    await postgres.stop({ remove: true });
  });
});
