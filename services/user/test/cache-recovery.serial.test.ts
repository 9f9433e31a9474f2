import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { Keyspace } from '@redwire/redis-kit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import {
  asUser,
  bodyOf,
  createUser,
  migratedDatabase,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
  waitFor,
} from './support/user-stack';

// The user service's recovery sweep reads the outbox: after a cache outage it replays the writes of every
// instance, including one that died before the cache came back (its own memory of failed invalidations
// died with it). The cache Redis keeps its data across the stop, so the old entries are still there.
// (@redwire/cache's redis-outage.serial.test.ts covers the gate itself under load.)

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let server: RedisServer;
let dataDir: string;
let ns: string;
let reader: UserInstance;
let writer: UserInstance | undefined;

beforeAll(async () => {
  db = await migratedDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-user-recovery-'));
  server = await startRedisServer({ dataDir, extraArgs: ['--appendfsync', 'always'] });
  ns = namespace();
  const config = testConfig({
    DATABASE_URL: db.url,
    REDIS_URL: server.url,
    REDIS_NAMESPACE: ns,
    REDIS_COMMAND_TIMEOUT: '100',
    USER_CACHE_PROBE_INTERVAL: '200',
  });
  reader = await startInstance(config);
  writer = await startInstance(config);
});
afterAll(async () => {
  await writer?.close();
  await reader?.close();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

async function patch(instance: UserInstance, id: string) {
  const res = await fetch(`${instance.url}/users/${id}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', ...(await asUser(id)) },
    body: JSON.stringify({ bio: 'written during the outage' }),
  });
  expect(res.status).toBe(200);
}

describe('cache recovery through the outbox', () => {
  it('when instances write during a cache outage and one of them dies, then after the outage no read returns a pre-outage entry', async () => {
    const users = [];
    for (let i = 0; i < 4; i++) users.push(await createUser(reader.url));
    for (const id of users) {
      await waitFor(
        async () => (await fetch(`${reader.url}/users/${id}`)).headers.get('x-cache') === 'HIT',
        5000,
        'cached',
      );
    }

    await server.stop();
    await waitFor(() => reader.runtime.cache.state !== 'closed', 5000, 'reader gate open');
    await patch(reader, users[0] as string);
    await patch(reader, users[1] as string);
    await patch(writer as UserInstance, users[2] as string);
    await patch(writer as UserInstance, users[3] as string);
    await writer?.close(); // dies before the cache is back
    writer = undefined;

    // Control: with the reader's gate stopped, the pre-outage entries are still in the restarted Redis.
    await reader.runtime.cache.close();
    await server.start();
    const keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: ns }));
    const raw = new Redis(server.url);
    const survivors = await Promise.all(users.map((id) => raw.get(keys.forUser(id).entry)));
    raw.disconnect();
    expect(survivors.every((entry) => entry !== null && JSON.parse(entry).v === 1)).toBe(true);

    await reader.runtime.cache.start();
    await reader.runtime.cache.ready(10_000);
    for (const id of users) {
      const res = await fetch(`${reader.url}/users/${id}`);
      expect((await bodyOf(res)).version).toBe(2);
    }
  });
});
