import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { pauseRedis } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRAPE_DEADLINE_MS } from '../src/user.metrics';
import type { WorkerRuntime } from '../src/worker.runtime';
import {
  migratedDatabase,
  namespace,
  sampleValue,
  startWorker,
  testWorkerConfig,
} from './support/user-stack';

// The worker's scrape-time gauges against a Redis that stops answering: /metrics still answers within
// the scrape deadline, with NaN for what Redis could not tell, rather than waiting on the client's own
// (longer) command timeout.

const PAUSE_MS = 4000;
const MARGIN_MS = 1500; // scheduling on a shared, busy 2-core box

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let server: RedisServer;
let worker: WorkerRuntime;
let http: RunningHttpServer;

beforeAll(async () => {
  db = await migratedDatabase();
  server = await startRedisServer();
  worker = await startWorker(
    testWorkerConfig({
      DATABASE_URL: db.url,
      REDIS_URL: server.url,
      REDIS_NAMESPACE: namespace(),
      // Longer than the pause: only the scrape deadline can bound the scrape.
      WORKER_REDIS_COMMAND_TIMEOUT: String(PAUSE_MS + 2000),
    }),
  );
  http = await startHttpServer(worker.app, { port: 0 });
});
afterAll(async () => {
  await http?.close(1000);
  await worker?.close();
  await server?.stop();
  await db?.drop();
});

describe('worker /metrics while Redis stalls', () => {
  it('when Redis does not answer, then /metrics answers within the scrape deadline with NaN for the queue and stream gauges', async () => {
    const scrape = async () => (await fetch(`${http.url}/metrics`)).text();
    const before = await scrape();
    expect(sampleValue(before, 'redwire_queue_jobs', { queue: 'cache-invalidation', state: 'wait' })).toBe(0);
    expect(sampleValue(before, 'redwire_stream_pending', { group: 'user-cache' })).toBe(0);

    await pauseRedis(server.url, PAUSE_MS);
    const paused = Date.now();
    const started = performance.now();
    const response = await fetch(`${http.url}/metrics`);
    const text = await response.text();
    const elapsed = performance.now() - started;
    expect(response.status).toBe(200);
    expect(elapsed).toBeLessThan(SCRAPE_DEADLINE_MS + MARGIN_MS);
    for (const state of ['wait', 'active', 'delayed', 'failed', 'prioritized'])
      expect(
        sampleValue(text, 'redwire_queue_jobs', { queue: 'cache-invalidation', state }),
        state,
      ).toBeNaN();
    expect(sampleValue(text, 'redwire_stream_pending', { group: 'user-cache' })).toBeNaN();
    expect(sampleValue(text, 'redwire_user_stream_pending', {})).toBeNaN();
    // PostgreSQL still answers: its gauge is unaffected.
    expect(sampleValue(text, 'redwire_user_outbox_backlog', {})).toBe(0);

    // Once Redis answers again, so do the gauges.
    await sleep(Math.max(0, PAUSE_MS - (Date.now() - paused)));
    const after = await scrape();
    expect(sampleValue(after, 'redwire_queue_jobs', { queue: 'cache-invalidation', state: 'wait' })).toBe(0);
    expect(sampleValue(after, 'redwire_stream_pending', { group: 'user-cache' })).toBe(0);
  });
});
