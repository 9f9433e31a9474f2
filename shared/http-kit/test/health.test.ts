import { setTimeout as sleep } from 'node:timers/promises';
import { healthzHandler, type ReadinessOptions, readinessHandler } from '@redwire/http-kit';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { recordingLogger, serve } from './helpers';

async function start(options: ReadinessOptions) {
  const app = express();
  app.get('/healthz', healthzHandler());
  app.get('/readyz', readinessHandler(options));
  return serve(app);
}

const ok = async () => undefined;
const fail = async () => {
  throw new Error('ECONNREFUSED 127.0.0.1:6379');
};

describe('health', () => {
  it('when /healthz is called, then 200 {status: ok}', async () => {
    const server = await start({ checks: {} });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('when every check passes, then 200 ok with a latency per check', async () => {
    const server = await start({ checks: { redis: { run: ok }, postgres: { run: ok } } });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toEqual({
      status: 'ok',
      checks: {
        redis: { status: 'ok', latencyMs: expect.any(Number) },
        postgres: { status: 'ok', latencyMs: expect.any(Number) },
      },
    });
  });

  it('when a non-critical check fails, then 200 degraded and the cause is logged, not sent', async () => {
    const logger = recordingLogger();
    const server = await start({
      checks: { postgres: { run: ok }, cache: { run: fail, critical: false } },
      logger,
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      status: 'degraded',
      checks: { postgres: { status: 'ok' }, cache: { status: 'down', error: 'error' } },
    });
    expect(text).not.toContain('ECONNREFUSED');
    expect(logger.entries.some((e) => e.obj.check === 'cache')).toBe(true);
  });

  it('when a check reports degraded with details, then 200 degraded carrying them', async () => {
    const server = await start({
      checks: { redis: { run: async () => ({ status: 'degraded', mode: 'local' }) } },
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      checks: { redis: { status: 'degraded', mode: 'local' } },
    });
  });

  it('when a critical check fails, then 503 with the same body shape', async () => {
    const server = await start({ checks: { redis: { run: fail }, postgres: { run: ok } } });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'down',
      checks: { redis: { status: 'down', error: 'error' }, postgres: { status: 'ok' } },
    });
  });

  it('when a check hangs, then it is cut at its deadline, reported as a timeout and its signal aborted', async () => {
    let aborted = false;
    const server = await start({
      timeoutMs: 5000,
      checks: {
        postgres: {
          timeoutMs: 200,
          run: (signal) =>
            new Promise(() => {
              signal.addEventListener('abort', () => {
                aborted = true;
              });
            }),
        },
      },
    });
    const started = performance.now();
    const res = await fetch(`${server.url}/readyz`);
    const elapsed = performance.now() - started;
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: { postgres: { error: string; latencyMs: number } } };
    expect(body.checks.postgres.error).toBe('timeout');
    expect(body.checks.postgres.latencyMs).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(3000);
    expect(aborted).toBe(true);
  });

  it('when probes arrive together, then they share one run of the checks', async () => {
    let runs = 0;
    const server = await start({
      checks: {
        redis: {
          run: async () => {
            runs++;
            await sleep(100);
            return undefined;
          },
        },
      },
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => fetch(`${server.url}/readyz`)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(runs).toBe(1);
    await fetch(`${server.url}/readyz`);
    expect(runs).toBe(2);
  });

  it('when the service is shutting down, then 503 draining without running checks', async () => {
    let runs = 0;
    const server = await start({
      isShuttingDown: () => true,
      checks: {
        redis: {
          run: async () => {
            runs++;
            return undefined;
          },
        },
      },
    });
    const res = await fetch(`${server.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'down', draining: true, checks: {} });
    expect(runs).toBe(0);
  });

  it('when a check has a non-positive deadline, then the handler refuses to build', () => {
    expect(() => readinessHandler({ checks: { x: { run: ok, timeoutMs: 0 } } })).toThrow(RangeError);
  });
});
