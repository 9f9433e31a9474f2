import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Keyspace } from '@redwire/redis-kit';
import { pauseRedis, type RedisServer, startRedisServer } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserCacheKeys } from '../src/cache/user-cache.keys';
import {
  asUser,
  bodyOf,
  counterValue,
  createUser,
  migratedDatabase,
  namespace,
  startInstance,
  testConfig,
  type UserInstance,
  waitFor,
} from './support/user-stack';

// The cache Redis fails under load, twice: paused (commands hang) and stopped (connection refused; its
// data survives the restart, so entries from before the outage are still there when it comes back).

const COMMAND_TIMEOUT_MS = 100;
const LATENCY_MARGIN_MS = 1900; // a PostgreSQL read + scheduling on a shared, busy 2-core box
const PAUSE_MS = 5000; // longer than the bound, so a read waiting on Redis would show
const READERS = 12;

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let server: RedisServer;
let dataDir: string;
let instance: UserInstance;
let users: string[];
let keys: UserCacheKeys;

beforeAll(async () => {
  db = await migratedDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-user-outage-'));
  server = await startRedisServer({ dataDir, extraArgs: ['--appendfsync', 'always'] });
  const ns = namespace();
  instance = await startInstance(
    testConfig({
      DATABASE_URL: db.url,
      REDIS_URL: server.url,
      REDIS_NAMESPACE: ns,
      REDIS_COMMAND_TIMEOUT: String(COMMAND_TIMEOUT_MS),
      USER_CACHE_BREAKER_MIN_CALLS: '5',
      USER_CACHE_BREAKER_OPEN: '1000',
      USER_CACHE_PROBE_INTERVAL: '500',
      // PostgreSQL gets every read during the outage; on a box at load 15+ give it room, so a 503 here
      // can only come from the Redis handling under test.
      DB_CONNECT_TIMEOUT: '5000',
      DB_STATEMENT_TIMEOUT: '5000',
      USER_CACHE_LEASE_TTL: '10000',
    }),
  );
  keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: ns }));
  users = [];
  for (let i = 0; i < 20; i++) users.push(await createUser(instance.url));
});
afterAll(async () => {
  await instance?.close();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

interface ReadRecord {
  user: string;
  code?: unknown;
  began: number;
  ms: number;
  status: number;
  cache: string | null;
  version: number;
}

/** Readers looping over the users, plus the acknowledged writes, for the linearizability check. */
function startLoad() {
  const reads: ReadRecord[] = [];
  const acks: { user: string; version: number; at: number }[] = [];
  let running = true;
  const reader = async () => {
    while (running) {
      const user = users[Math.floor(Math.random() * users.length)] as string;
      const began = performance.now();
      const res = await fetch(`${instance.url}/users/${user}`);
      const body = (await bodyOf(res)) as { version: number };
      reads.push({
        user,
        began,
        ms: performance.now() - began,
        status: res.status,
        cache: res.headers.get('x-cache'),
        version: body.version,
      });
    }
  };
  const loops = Array.from({ length: READERS }, reader);
  return {
    reads,
    async write(user: string) {
      const res = await fetch(`${instance.url}/users/${user}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', ...(await asUser(user)) },
        body: JSON.stringify({ bio: `written during the outage at ${Date.now()}` }),
      });
      expect(res.status).toBe(200);
      acks.push({
        user,
        version: ((await bodyOf(res)) as { version: number }).version,
        at: performance.now(),
      });
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    /** Reads that returned a version older than a write acknowledged before they began. */
    stale() {
      return reads.filter((r) =>
        acks.some((a) => a.user === r.user && a.at < r.began && a.version > r.version),
      );
    },
  };
}

async function warm() {
  for (const user of users) {
    await waitFor(
      async () => (await fetch(`${instance.url}/users/${user}`)).headers.get('x-cache') === 'HIT',
      5000,
      'warm cache',
    );
  }
}

const errors = () => counterValue(instance.runtime, 'redwire_user_cache_requests_total', { result: 'error' });

describe('cache Redis outage under load', () => {
  it('when Redis is paused, then reads answer from PostgreSQL within the timeout until the breaker opens, then issue no command; writes made meanwhile are never hidden', async () => {
    await warm();
    const load = startLoad();
    await sleep(300);
    const pausedAt = performance.now();
    await pauseRedis(server.url, PAUSE_MS);
    await waitFor(() => instance.runtime.gate.state !== 'closed', 2000, 'gate open');
    const openedAt = performance.now();
    // Calls already in flight when it opened still time out; none may start afterwards.
    await sleep(COMMAND_TIMEOUT_MS * 3);
    const errorsAtOpen = await errors();
    for (const user of users.slice(0, 5)) await load.write(user);
    await sleep(Math.max(0, pausedAt + PAUSE_MS - performance.now()));
    const errorsAtResume = await errors();
    await instance.runtime.gate.whenUsable(10_000);
    const recoveredAt = performance.now();
    await sleep(1000);
    await load.stop();

    const during = load.reads.filter((r) => r.began >= pausedAt && r.began < recoveredAt);
    const slowest = Math.max(...during.map((r) => r.ms));
    console.info(
      'pause:',
      JSON.stringify({
        reads: load.reads.length,
        during: during.length,
        openedAfterMs: Math.round(openedAt - pausedAt),
        slowestMs: Math.round(slowest),
        errorsBeforeOpen: errorsAtOpen,
      }),
    );
    expect(load.reads.filter((r) => r.status !== 200)).toEqual([]);
    expect(slowest).toBeLessThan(COMMAND_TIMEOUT_MS + LATENCY_MARGIN_MS);
    expect(during.some((r) => r.cache === 'BYPASS')).toBe(true);
    expect(errorsAtResume).toBe(errorsAtOpen); // open: not one more Redis call from the read path
    expect(load.stale()).toEqual([]);
    expect(load.reads.filter((r) => r.began > recoveredAt).some((r) => r.cache === 'HIT')).toBe(true);
  });

  it('when Redis is stopped and restarted with its data, then no entry from before the outage hides a write made during it', async () => {
    await warm();
    const written = users.slice(5, 10);
    const load = startLoad();
    await sleep(300);
    const stoppedAt = performance.now();
    await server.stop();
    await waitFor(() => instance.runtime.gate.state !== 'closed', 2000, 'gate open');
    for (const user of written) await load.write(user);
    await sleep(500);

    // Control: hold the gate's probe so the sweep cannot run before we look, then check that the
    // pre-outage entries of the users written during the outage really survived the restart.
    await instance.runtime.gate.stop();
    await server.start();
    const raw = new Redis(server.url);
    const survivors = (await Promise.all(written.map((u) => raw.get(keys.forUser(u).entry)))).filter(Boolean);
    raw.disconnect();
    instance.runtime.gate.start();
    await instance.runtime.gate.whenUsable(10_000);
    const recoveredAt = performance.now();
    await sleep(1000);
    await load.stop();

    const during = load.reads.filter((r) => r.began >= stoppedAt && r.began < recoveredAt);
    console.info(
      'stop/start:',
      JSON.stringify({ reads: load.reads.length, during: during.length, survivors: survivors.length }),
    );
    expect(survivors.length).toBeGreaterThan(0);
    expect(load.reads.filter((r) => r.status !== 200)).toEqual([]);
    expect(Math.max(...during.map((r) => r.ms))).toBeLessThan(COMMAND_TIMEOUT_MS + LATENCY_MARGIN_MS);
    expect(load.stale()).toEqual([]);
    for (const user of written) {
      const res = await fetch(`${instance.url}/users/${user}`);
      expect((await bodyOf(res)).version).toBe(2);
    }
    expect(load.reads.filter((r) => r.began > recoveredAt).some((r) => r.cache === 'HIT')).toBe(true);
  });
});
