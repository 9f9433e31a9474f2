import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { type RedisServer, startRedisServer } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALIDATE_USER_JOB } from '../src/jobs/invalidate-user.job';
import { CACHE_INVALIDATION_QUEUE } from '../src/jobs/queues';
import { QUEUE_DASHBOARD_PATH } from '../src/queue-dashboard';
import type { WorkerRuntime } from '../src/worker.runtime';
import { migratedDatabase, namespace, startWorker, testWorkerConfig, waitFor } from './support/user-stack';

// The worker's queue dashboard (bull-board) served as worker.ts serves it, over a real worker and a real
// state Redis: a job that failed while the cache Redis was down is found through bull-board's API,
// retried through it once the cache is back, and completes. Serial: it stops and restarts a Redis.

let db: Awaited<ReturnType<typeof migratedDatabase>>;
let cacheServer: RedisServer;
let dataDir: string;
let worker: WorkerRuntime;
let admin: RunningHttpServer;
let base: string;

beforeAll(async () => {
  db = await migratedDatabase();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-user-dashboard-'));
  cacheServer = await startRedisServer({ dataDir, maxmemoryPolicy: 'allkeys-lru' });
  worker = await startWorker(
    testWorkerConfig({
      DATABASE_URL: db.url,
      REDIS_NAMESPACE: namespace(),
      CACHE_REDIS_URL: cacheServer.url,
    }),
  );
  admin = await startHttpServer(worker.adminApp, { port: 0, host: '127.0.0.1' });
  base = `${admin.url}${QUEUE_DASHBOARD_PATH}`;
});

afterAll(async () => {
  await admin?.close();
  await worker?.close();
  await cacheServer?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await db?.drop();
});

interface BoardJob {
  id: string;
  name: string;
  finishedOn?: number | null;
  failedReason?: string;
  returnValue?: unknown;
}
interface BoardQueue {
  name: string;
  counts: Record<string, number>;
  jobs: BoardJob[];
}

/** bull-board's `GET /api/queues` for one queue and one status (the page's own call). */
async function board(status: string): Promise<BoardQueue> {
  const url = `${base}/api/queues?activeQueue=${CACHE_INVALIDATION_QUEUE}&status=${status}&page=1&jobsPerPage=50`;
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { queues: BoardQueue[] };
  const queue = body.queues.find((q) => q.name === CACHE_INVALIDATION_QUEUE);
  if (!queue) throw new Error(`${CACHE_INVALIDATION_QUEUE} not on the board: ${JSON.stringify(body)}`);
  return queue;
}

describe('the queue dashboard', () => {
  it('when a job failed while the cache was down, then the API shows it and a retry through the API completes it', async () => {
    const userId = randomUUID();
    await cacheServer.stop();
    const job = await worker.invalidationQueue.add(INVALIDATE_USER_JOB, { userId }, { attempts: 1 });
    await waitFor(
      async () => (await board('failed')).jobs.some((j) => j.id === job.id),
      15_000,
      'the failed job on the board',
    );
    const failed = (await board('failed')).jobs.find((j) => j.id === job.id);
    expect(failed?.failedReason).toMatch(/cache invalidation failed/);

    await cacheServer.start();
    // The invalidator's breaker may still be open for a moment after the cache returns: a retry that
    // fails once more is retried again, as an operator would.
    await waitFor(
      async () => {
        if ((await board('completed')).jobs.some((j) => j.id === job.id)) return true;
        if ((await board('failed')).jobs.some((j) => j.id === job.id)) {
          const retry = await fetch(`${base}/api/queues/${CACHE_INVALIDATION_QUEUE}/retry/failed`, {
            method: 'PUT',
          });
          expect(retry.status).toBe(200);
        }
        await new Promise((r) => setTimeout(r, 200));
        return false;
      },
      20_000,
      'the retried job completed',
    );
    expect(await (await worker.invalidationQueue.getJob(job.id as string))?.getState()).toBe('completed');
  });

  it('when the page is requested, then it and everything it loads come from the dashboard, and the assets load', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await response.text();
    expect(html).toContain('<div id="root">');
    const references = [...html.matchAll(/\b(?:src|href)=["']([^"']+)["']/g)].map((m) => m[1] as string);
    expect(references.length).toBeGreaterThan(2);
    expect(html).not.toMatch(/https?:\/\//);
    const baseHref = /<base href="([^"]+)"/.exec(html)?.[1] ?? '/';
    for (const reference of references) {
      const asset = await fetch(new URL(reference, new URL(baseHref, admin.url)));
      expect(asset.status, reference).toBe(200);
    }
  });

  it('when a request names another host or comes cross-site to change something, then it is refused', async () => {
    // DNS rebinding: a page on an attacker's name that resolves to 127.0.0.1.
    const rebound = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`${base}/api/queues`, { headers: { Host: 'attacker.example' } }, (response) => {
          response.resume();
          resolve(response.statusCode);
        })
        .on('error', reject);
    });
    expect(rebound).toBe(403);
    const crossSite = await fetch(`${base}/api/queues/${CACHE_INVALIDATION_QUEUE}/retry/failed`, {
      method: 'PUT',
      headers: { Origin: 'https://attacker.example', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect((await fetch(`${admin.url}/healthz`)).status).toBe(200);
  });
});
