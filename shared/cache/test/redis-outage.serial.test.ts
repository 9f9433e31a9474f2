import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pauseRedis, type RedisServer, startRedisServer, uniquePrefix } from '@redwire/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecentWrite } from '../src/index';
import {
  countingMetrics,
  deferred,
  type ItemCacheInstance,
  ItemTable,
  startItemCache,
  until,
} from './support/item-store';

// The cache Redis fails under load, twice: paused (commands hang) and stopped (connection refused; its
// data survives the restart, so entries from before the outage are still there when it comes back). The
// reads are in-process calls of EntityCache.get, timed by the caller; the source is a PostgreSQL table.

const COMMAND_TIMEOUT_MS = 100;
const LATENCY_MARGIN_MS = 1900; // a PostgreSQL read + scheduling on a shared, busy 2-core box
const PAUSE_MS = 5000; // longer than the bound, so a read waiting on Redis would show
const READERS = 12;

let table: ItemTable;
let server: RedisServer;
let dataDir: string;
let namespace: string;
let instance: ItemCacheInstance;
const metrics = countingMetrics();
let ids: string[];
/** While set, the recovery sweep's write log waits for it: the test looks at Redis before the sweep runs. */
let holdSweep: Promise<void> | undefined;

const options = {
  commandTimeoutMs: COMMAND_TIMEOUT_MS,
  breaker: { minimumCalls: 5, openDurationMs: 1000 },
  probeIntervalMs: 500,
  leaseTtlMs: 10_000,
};

beforeAll(async () => {
  // PostgreSQL gets every read during the outage: a pool big enough for every reader.
  table = await ItemTable.create(READERS + 4);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-cache-outage-'));
  server = await startRedisServer({ dataDir, extraArgs: ['--appendfsync', 'always'] });
  namespace = uniquePrefix('o');
  const writesSince = async (since: Date): Promise<RecentWrite[]> => {
    await holdSweep;
    return table.writesSince(since);
  };
  instance = await startItemCache(
    namespace,
    { load: table.load, writesSince },
    { ...options, redisUrl: server.url, metrics },
  );
  ids = [];
  for (let i = 0; i < 20; i++) ids.push(await table.insert(`item ${i}`));
});
afterAll(async () => {
  await instance?.close();
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await table?.drop();
});

interface ReadRecord {
  id: string;
  began: number;
  ms: number;
  status: string;
  version: number;
}

/** Readers looping over the items, plus the acknowledged writes, for the linearizability check. */
function startLoad() {
  const reads: ReadRecord[] = [];
  const failures: unknown[] = [];
  const acks: { id: string; version: number; at: number }[] = [];
  let running = true;
  const reader = async () => {
    while (running) {
      const id = ids[Math.floor(Math.random() * ids.length)] as string;
      const began = performance.now();
      try {
        const read = await instance.cache.get(id);
        reads.push({ id, began, ms: performance.now() - began, status: read.status, version: read.version });
      } catch (error) {
        failures.push(error);
      }
    }
  };
  const loops = Array.from({ length: READERS }, reader);
  return {
    reads,
    failures,
    /** A write through `writer` (this instance by default), acknowledged when write() resolves. */
    async write(id: string, writer: ItemCacheInstance = instance) {
      const version = await writer.cache.write(
        () => table.rename(id, `written during the outage at ${Date.now()}`),
        (v) => ({ id, version: v }),
      );
      acks.push({ id, version, at: performance.now() });
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    /** Reads that returned a version older than a write acknowledged before they began. */
    stale() {
      return reads.filter((r) => acks.some((a) => a.id === r.id && a.at < r.began && a.version > r.version));
    },
  };
}

async function warm() {
  for (const id of ids)
    await until(async () => (await instance.cache.get(id)).status === 'HIT', 5000, 'warm');
}

const errors = () => metrics.count('request:l2:error');

describe('cache Redis outage under load', () => {
  it('when Redis is paused, then reads answer from the source within the timeout until the gate opens, then issue no command; writes made meanwhile are never hidden', async () => {
    await warm();
    const load = startLoad();
    await sleep(300);
    const pausedAt = performance.now();
    await pauseRedis(server.url, PAUSE_MS);
    await until(() => instance.cache.state !== 'closed', 2000, 'gate open');
    const openedAt = performance.now();
    // Calls already in flight when it opened still time out; none may start afterwards.
    await sleep(COMMAND_TIMEOUT_MS * 3);
    const errorsAtOpen = errors();
    for (const id of ids.slice(0, 5)) await load.write(id);
    await sleep(Math.max(0, pausedAt + PAUSE_MS - performance.now()));
    const errorsAtResume = errors();
    await instance.cache.ready(10_000);
    const recoveredAt = performance.now();
    await sleep(1000);
    await load.stop();

    const during = load.reads.filter((r) => r.began >= pausedAt && r.began < recoveredAt);
    const slowest = during.reduce((worst, r) => Math.max(worst, r.ms), 0);
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
    expect(load.failures).toEqual([]);
    expect(slowest).toBeLessThan(COMMAND_TIMEOUT_MS + LATENCY_MARGIN_MS);
    expect(during.some((r) => r.status === 'BYPASS')).toBe(true);
    expect(errorsAtResume).toBe(errorsAtOpen); // open: not one more Redis call from the read path
    expect(load.stale()).toEqual([]);
    expect(load.reads.filter((r) => r.began > recoveredAt).some((r) => r.status === 'HIT')).toBe(true);
  });

  it('when Redis is stopped and restarted with its data, then no entry from before the outage hides a write made during it, by this process or by one that died', async () => {
    // Another process on the same cache; it writes during the outage and exits before Redis is back, so
    // only the write log (writesSince) can tell the sweep about its write.
    const other = await startItemCache(namespace, table, { ...options, redisUrl: server.url });
    await warm();
    const mine = ids.slice(5, 10);
    const theirs = ids.slice(10, 12);
    const load = startLoad();
    await sleep(300);
    const stoppedAt = performance.now();
    await server.stop();
    await until(() => instance.cache.state !== 'closed', 2000, 'gate open');
    for (const id of mine) await load.write(id);
    for (const id of theirs) await load.write(id, other);
    await other.close();
    await sleep(500);

    // Control: hold the sweep, then check that the pre-outage entries of the items written during the
    // outage really survived the restart (the sweep must remove them before anything is served).
    const hold = deferred();
    holdSweep = hold.promise;
    await server.start();
    await until(() => instance.cache.state === 'recovering', 10_000, 'the sweep started');
    const raw = new Redis(server.url);
    const entries = await Promise.all(
      [...mine, ...theirs].map((id) => raw.get(instance.cache.keys.for(id).entry)),
    );
    raw.disconnect();
    holdSweep = undefined;
    hold.resolve();
    await instance.cache.ready(10_000);
    const recoveredAt = performance.now();
    await sleep(1000);
    await load.stop();

    const during = load.reads.filter((r) => r.began >= stoppedAt && r.began < recoveredAt);
    console.info(
      'stop/start:',
      JSON.stringify({
        reads: load.reads.length,
        during: during.length,
        survivors: entries.filter(Boolean).length,
      }),
    );
    expect(entries.filter(Boolean).length).toBeGreaterThan(0);
    expect(load.failures).toEqual([]);
    expect(during.reduce((worst, r) => Math.max(worst, r.ms), 0)).toBeLessThan(
      COMMAND_TIMEOUT_MS + LATENCY_MARGIN_MS,
    );
    expect(load.stale()).toEqual([]);
    for (const id of [...mine, ...theirs]) expect((await instance.cache.get(id)).version).toBe(2);
    expect(load.reads.filter((r) => r.began > recoveredAt).some((r) => r.status === 'HIT')).toBe(true);
  });
});
