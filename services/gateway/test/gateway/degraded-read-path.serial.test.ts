import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { freeze, thaw, uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { runMigrations } from '@redwire/user';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstance, testConfig, type UserInstance } from '../../../user/test/support/user-stack';
import { type GatewayStack, SIGNING_KEY, startGatewayStack } from '../support/gateway-stack';

// The whole signed-in read path while the state Redis is out, end to end: signed-in clients read their
// profiles through the real gateway and the real user service (cache Redis and PostgreSQL of its own, not
// touched), and write them when they can, while the state Redis (sessions, limits) is frozen for 4 s and
// then killed and restarted 2 s later with its data. Degraded sessions keep the reads answering; writes
// fail fast; no read returns a version older than a write acknowledged before it started.

// Each client stays under the built-in per-user limit (user-free: 10/s) and all together under the per-IP
// one (100/s): a 429 here would be the limiter doing its job, not the outage.
const USERS = 10;
const PAUSE_MS = 130;
const FREEZE_MS = 4000;
const DOWN_MS = 2000;

let stateRedis: RedisServer;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let user: UserInstance;
let stack: GatewayStack;

beforeAll(async () => {
  stateRedis = await startRedisServer({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-degraded-e2e-')),
  });
  db = await freshDatabase();
  await runMigrations({ databaseUrl: db.url });
  user = await startInstance(
    testConfig({
      DATABASE_URL: db.url,
      IDENTITY_SIGNING_KEY: SIGNING_KEY,
      REDIS_URL: stateRedis.url,
      // The cache Redis is another server (the shared one), as in compose: the state Redis fault leaves it be.
      CACHE_REDIS_URL: sharedServers().redisUrl,
      REDIS_NAMESPACE: uniquePrefix('u'),
      REQUEST_BUDGET: '2s',
      REDIS_COMMAND_TIMEOUT: '250',
    }),
  );
  stack = await startGatewayStack({
    redisUrl: stateRedis.url,
    // The production defaults: built-in policies, SESSION_DEGRADED_WINDOW 60 s, 100 ms session check.
    env: { USER_SERVICE_URL: user.url, SESSION_CHECK_DEADLINE: '100', RATE_LIMIT_DEADLINE: '50' },
  });
});
afterAll(async () => {
  if (stateRedis?.pid) thaw(stateRedis.pid);
  await stack?.stop();
  await user?.close();
  await stateRedis?.stop();
  await db?.drop();
});

type Phase = 'before' | 'frozen' | 'after-freeze' | 'killed' | 'after-restart';

interface Read {
  phase: Phase;
  status: number;
  degraded: boolean;
  stale: boolean;
}

describe('signed-in reads through a state Redis outage (real gateway and user service)', () => {
  it('when the state Redis is frozen 4 s and then killed and restarted, then ≥ 99 % of signed-in GETs answer 200, writes fail fast, and no read is stale', async () => {
    const clients = await Promise.all(
      Array.from({ length: USERS }, async (_, i) => {
        const id = uuidv7();
        await user.runtime.service.create({ id, email: `${id}@example.com`, name: `Reader ${i}` });
        const { token } = await stack.login({ userId: id });
        return { id, token, acked: 0 };
      }),
    );
    let phase: Phase = 'before';
    let running = true;
    const reads: Read[] = [];
    const writes: { phase: Phase; status: number; ms: number }[] = [];

    const loops = clients.map(async (client, i) => {
      while (running) {
        const ackedWhenStarted = client.acked;
        const startedIn = phase;
        const res = await fetch(`${stack.url}/users/${client.id}`, {
          headers: { authorization: `Bearer ${client.token}` },
        });
        const body = (await res.json()) as { version?: number };
        reads.push({
          phase: startedIn,
          status: res.status,
          degraded: res.headers.get('redwire-degraded') === 'sessions',
          stale: res.status === 200 && (body.version ?? 0) < ackedWhenStarted,
        });
        // One client in three also writes its profile every few reads.
        if (i % 3 === 0 && reads.length % 5 === 0) {
          const started = performance.now();
          const write = await fetch(`${stack.url}/users/${client.id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${client.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ bio: `written in ${phase}` }),
          });
          const written = (await write.json()) as { version?: number };
          writes.push({ phase: startedIn, status: write.status, ms: performance.now() - started });
          if (write.status === 200) client.acked = Math.max(client.acked, written.version ?? 0);
        }
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    });

    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await sleep(1000);
    phase = 'frozen';
    freeze(stateRedis.pid as number);
    await sleep(FREEZE_MS);
    thaw(stateRedis.pid as number);
    phase = 'after-freeze';
    await sleep(1500);
    phase = 'killed';
    await stateRedis.stop();
    await sleep(DOWN_MS);
    await stateRedis.start();
    phase = 'after-restart';
    await sleep(3000);
    running = false;
    await Promise.all(loops);

    const summary = Object.fromEntries(
      (['before', 'frozen', 'after-freeze', 'killed', 'after-restart'] as const).map((p) => {
        const inPhase = reads.filter((r) => r.phase === p);
        return [
          p,
          {
            reads: inPhase.length,
            ok: inPhase.filter((r) => r.status === 200).length,
            other: inPhase.filter((r) => r.status !== 200).map((r) => r.status),
            degraded: inPhase.filter((r) => r.degraded).length,
            writes: writes.filter((w) => w.phase === p).map((w) => w.status),
          },
        ];
      }),
    );
    console.log(JSON.stringify(summary));

    expect(reads.filter((r) => r.stale)).toEqual([]);
    // The rate-limit scripts the gateway gave up on during the freeze run when Redis wakes up; they must
    // spend nothing (they carry a not-after time), or the replayed 4 s would refuse these clients after it.
    expect(reads.filter((r) => r.status === 429).map((r) => r.phase)).toEqual([]);
    const outage = reads.filter((r) => r.phase === 'frozen' || r.phase === 'killed');
    expect(outage.length).toBeGreaterThan(50);
    expect(outage.filter((r) => r.status === 200).length / outage.length).toBeGreaterThanOrEqual(0.99);
    expect(outage.filter((r) => r.degraded).length).toBeGreaterThan(0);
    // Writes while the sessions cannot be checked fail fast (a write in the first 500 ms of the freeze may
    // still pass on the short session cache, as it always could).
    for (const write of writes.filter((w) => w.phase === 'killed')) {
      expect(write.status).toBe(503);
      expect(write.ms).toBeLessThan(500);
    }
    // Writes work again once Redis is back (the clients' reconnect back-off may outlast the phase on a
    // loaded box, so this asks until a deadline rather than relying on the phase's own writes).
    const writer = clients[0] as (typeof clients)[number];
    let recovered = 0;
    for (const until = performance.now() + 10_000; performance.now() < until; await sleep(100)) {
      const write = await fetch(`${stack.url}/users/${writer.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${writer.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ bio: 'after the outage' }),
      });
      await write.arrayBuffer();
      recovered = write.status;
      if (recovered === 200) break;
    }
    expect(recovered).toBe(200);
    expect(summary['after-restart']?.ok).toBe(summary['after-restart']?.reads);
  }, 60_000);
});
