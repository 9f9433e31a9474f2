import { createServiceApp, errors, silentLogger, waitForDependencies } from '@redwire/http-kit';
import { describe, expect, it } from 'vitest';
import { recordingLogger, serve } from './helpers';

class DependencyDown extends Error {}

function app(shuttingDown: { value: boolean }) {
  return createServiceApp({
    logger: silentLogger,
    readiness: { db: { run: async () => undefined } },
    isShuttingDown: () => shuttingDown.value,
    metrics: { metricsHandler: (_req, res) => void res.type('text/plain').send('m 1\n') },
    requestBudgetMs: 1000,
    routes: (a) => {
      a.get('/ok', (_req, res) => void res.json({ ok: true }));
      a.get('/down', () => {
        throw new DependencyDown('db');
      });
      a.get('/bug', () => {
        throw new Error('bug');
      });
    },
    mapError: (err) =>
      err instanceof DependencyDown ? errors.E_UNAVAILABLE(undefined, { retryAfterSeconds: 1 }) : undefined,
  });
}

describe('createServiceApp', () => {
  it('when a service is built with it, then probes, routes, 404, mapped and unmapped errors answer as documented', async () => {
    const shuttingDown = { value: false };
    const { url } = await serve(app(shuttingDown));
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({
      status: 'ok',
      checks: { db: { status: 'ok' } },
    });
    expect(await (await fetch(`${url}/metrics`)).text()).toBe('m 1\n');
    const ok = await fetch(`${url}/ok`);
    expect(ok.headers.get('x-request-id')).toBeTruthy();
    expect(ok.headers.get('x-powered-by')).toBeNull();
    expect(ok.headers.get('etag')).toBeNull();
    expect((await fetch(`${url}/OK`)).status).toBe(404);
    expect((await fetch(`${url}/ok/`)).status).toBe(404);
    const down = await fetch(`${url}/down`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('1');
    expect(await down.json()).toMatchObject({ code: 'E_UNAVAILABLE' });
    expect((await fetch(`${url}/bug`)).status).toBe(500);

    shuttingDown.value = true;
    const draining = await fetch(`${url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'down', draining: true, checks: {} });
  });
});

describe('waitForDependencies', () => {
  it('when one dependency answers and another does not in time, then it resolves with the missing one and warns about it', async () => {
    const logger = recordingLogger();
    const started = performance.now();
    const missing = await waitForDependencies(
      [
        { name: 'state Redis', ready: async () => undefined, meanwhile: 'answering 503' },
        {
          name: 'postgres',
          ready: (ms) => new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), ms)),
          meanwhile: 'answering 503',
        },
      ],
      { logger, timeoutMs: 50 },
    );
    expect(missing).toEqual(['postgres']);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        obj: expect.objectContaining({ dependency: 'postgres' }),
        msg: 'postgres not ready at start-up; answering 503 until it is',
      },
    ]);
  });
});
