import { Keyspace } from '@redwire/redis-kit';
import { type RedisServer, startRedisServer } from '@redwire/testing';
import { sharedServers } from '@redwire/testing/vitest';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import type { UserRepository } from '../src/users/user.repository';
import {
  asUser,
  bodyOf,
  counterValue,
  createUser,
  deferred,
  migratedDatabase,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
} from './support/user-stack';

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let redis: Redis;
const instances: UserInstance[] = [];

beforeAll(async () => {
  db = await migratedDatabase();
  redis = new Redis(sharedServers().redisUrl);
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  redis?.disconnect();
  await db?.drop();
});

async function start(env: Record<string, string>, overrides: Parameters<typeof startInstance>[1] = {}) {
  const instance = await startInstance(testConfig({ DATABASE_URL: db.url, ...env }), overrides);
  instances.push(instance);
  return instance;
}

const finds = (i: UserInstance) =>
  counterValue(i.runtime, 'redwire_user_db_queries_total', { operation: 'find' });

/** Pauses the first `count` cache loads after their SELECT until released. */
function pausingLoad(count = 1) {
  const selected = deferred();
  const release = deferred();
  let paused = 0;
  const wrapLoad = (load: UserRepository['findById']): UserRepository['findById'] => {
    return async (id) => {
      const user = await load(id);
      if (paused++ < count) {
        selected.resolve();
        await release.promise;
      }
      return user;
    };
  };
  return { wrapLoad, selected: selected.promise, release: () => release.resolve() };
}

describe('stale-set race', () => {
  it('when a reader is paused after its SELECT while a writer commits and invalidates, then the key ends absent or at the new version', async () => {
    const ns = namespace();
    const gate = pausingLoad();
    const reader = await start({ REDIS_NAMESPACE: ns }, { wrapLoad: gate.wrapLoad });
    const writer = await start({ REDIS_NAMESPACE: ns });
    const id = await createUser(writer.url, 'Old');
    const keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: ns }));

    const read = fetch(`${reader.url}/users/${id}`);
    await gate.selected; // the reader holds the lease and has read version 1
    const write = await fetch(`${writer.url}/users/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', ...(await asUser(id)) },
      body: JSON.stringify({ name: 'New' }),
    });
    expect(write.status).toBe(200);
    gate.release();

    const response = await read;
    expect((await bodyOf(response)).version).toBe(1); // legitimate: the read began before the write
    const entry = await redis.get(keys.forUser(id).entry);
    if (entry !== null) expect(JSON.parse(entry).v).toBe(2);
    expect(
      await counterValue(reader.runtime, 'redwire_user_cache_fills_total', { outcome: 'lease_lost' }),
    ).toBe(1);
    const after = await bodyOf(await fetch(`${reader.url}/users/${id}`));
    expect(after).toMatchObject({ name: 'New', version: 2 });
  });
});

describe('stampede control', () => {
  it('when 500 concurrent cold reads of one user hit 2 instances, then exactly 1 database query runs', async () => {
    const ns = namespace();
    const slow =
      (load: UserRepository['findById']): UserRepository['findById'] =>
      async (id) => {
        const user = await load(id);
        await new Promise((r) => setTimeout(r, 300));
        return user;
      };
    // A generous command timeout: this measures stampede control, not how a busy 2-core box meets 100 ms.
    const env = {
      REDIS_NAMESPACE: ns,
      USER_CACHE_LEASE_TTL: '10000',
      DB_POOL_MAX: '20',
      REDIS_COMMAND_TIMEOUT: '2000',
    };
    const a = await start(env, { wrapLoad: slow });
    const b = await start(env, { wrapLoad: slow });
    const id = await createUser(a.url);
    const before = (await finds(a)) + (await finds(b));

    const responses = await Promise.all(
      Array.from({ length: 500 }, (_, i) => fetch(`${(i % 2 === 0 ? a : b).url}/users/${id}`)),
    );
    const statuses = new Set(responses.map((r) => r.status));
    const versions = new Set(await Promise.all(responses.map(async (r) => (await bodyOf(r)).version)));
    expect([...statuses]).toEqual([200]);
    expect([...versions]).toEqual([1]);
    const errors = (i: UserInstance) =>
      counterValue(i.runtime, 'redwire_user_cache_requests_total', { result: 'error' });
    expect({
      queries: (await finds(a)) + (await finds(b)) - before,
      redisErrors: (await errors(a)) + (await errors(b)),
    }).toEqual({
      queries: 1,
      redisErrors: 0,
    });
  });
});

describe('stale while refreshing', () => {
  it('when an entry is past its fresh time and another instance is refreshing it, then it is served STALE at once', async () => {
    const ns = namespace();
    const gate = pausingLoad();
    const env = {
      REDIS_NAMESPACE: ns,
      USER_CACHE_TTL: '300',
      USER_CACHE_TTL_JITTER_PERCENT: '0',
      USER_CACHE_STALE: '60s',
    };
    const refresher = await start(env, { wrapLoad: gate.wrapLoad });
    const other = await start(env);
    const id = await createUser(other.url);
    await fetch(`${other.url}/users/${id}`); // fill
    await new Promise((r) => setTimeout(r, 400));

    const refreshing = fetch(`${refresher.url}/users/${id}`);
    await gate.selected;
    const stale = await fetch(`${other.url}/users/${id}`);
    expect(stale.headers.get('x-cache')).toBe('STALE');
    expect((await bodyOf(stale)).version).toBe(1);
    gate.release();
    expect((await refreshing).headers.get('x-cache')).toBe('MISS');
    expect((await fetch(`${other.url}/users/${id}`)).headers.get('x-cache')).toBe('HIT');
  });
});

describe('hit path budget', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedisServer();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('when a warm user is read 200 times, then each read is one Redis GET and no database query', async () => {
    const instance = await start({ REDIS_URL: own.url });
    const id = await createUser(instance.url);
    expect((await fetch(`${instance.url}/users/${id}`)).headers.get('x-cache')).toBe('MISS');
    const probe = new Redis(own.url);
    const stats = async () => {
      const info = await probe.info('commandstats');
      const calls: Record<string, number> = {};
      for (const m of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) calls[m[1] as string] = Number(m[2]);
      return calls;
    };
    const findsBefore = await finds(instance);
    const before = await stats();
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${instance.url}/users/${id}`);
      expect(res.headers.get('x-cache')).toBe('HIT');
    }
    const after = await stats();
    probe.disconnect();
    const delta = Object.fromEntries(
      Object.entries(after)
        .map(([cmd, n]) => [cmd, n - (before[cmd] ?? 0)] as const)
        .filter(([cmd, n]) => n > 0 && cmd !== 'info' && cmd !== 'ping'), // PING: the gate's probe
    );
    expect(delta).toEqual({ get: 200 });
    expect(await finds(instance)).toBe(findsBefore);
  });
});
