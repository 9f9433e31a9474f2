import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRepository } from '../src/users/user.repository';
import {
  bodyOf,
  counterValue,
  createUser,
  migratedDatabase,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
} from './support/user-stack';

// The cache's guarantees as a client of the service meets them, through HTTP (the library's own tests,
// in shared/cache, prove them at its API): one query per cold user across instances, one GET per hit.

let db: Awaited<ReturnType<typeof migratedDatabase>>;
const instances: UserInstance[] = [];

beforeAll(async () => {
  db = await migratedDatabase();
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  await db?.drop();
});

async function start(env: Record<string, string>, overrides: Parameters<typeof startInstance>[1] = {}) {
  const instance = await startInstance(testConfig({ DATABASE_URL: db.url, ...env }), overrides);
  instances.push(instance);
  return instance;
}

const finds = (i: UserInstance) =>
  counterValue(i.runtime, 'redwire_user_db_queries_total', { operation: 'find' });

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
