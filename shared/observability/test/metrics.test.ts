import type { AddressInfo } from 'node:net';
import { createMetrics } from '@redwire/observability';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function serve(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function durationCounts(metrics: ReturnType<typeof createMetrics>) {
  const metric = await metrics.registry.getSingleMetric('http_server_request_duration_seconds')?.get();
  return (metric?.values ?? [])
    .filter((v) => (v as { metricName?: string }).metricName === 'http_server_request_duration_seconds_count')
    .map((v) => ({ ...v.labels, count: v.value }));
}

function appWith(metrics: ReturnType<typeof createMetrics>) {
  const app = express();
  app.use(metrics.httpMetrics);
  app.get('/metrics', metrics.metricsHandler);
  app.get('/users/:id', (_req, res) => res.json({}));
  const admin = express.Router();
  admin.patch('/accounts/:id', (_req, res) => res.status(204).end());
  app.use('/auth', admin);
  app.use('/proxied', (_req, res) => res.status(502).end());
  app.use((_req, res) => res.status(404).end());
  return app;
}

describe('createMetrics', () => {
  it('when requests are served, then they are counted by method, route pattern and status, never by raw URL', async () => {
    const metrics = createMetrics({ service: 'redwire-test', defaultMetrics: false });
    const base = await serve(appWith(metrics));
    await fetch(`${base}/users/1`);
    await fetch(`${base}/users/2`);
    await fetch(`${base}/auth/accounts/9`, { method: 'PATCH' });
    await fetch(`${base}/no/such/thing`);
    await new Promise((r) => setTimeout(r, 20));

    expect(await durationCounts(metrics)).toEqual(
      expect.arrayContaining([
        { method: 'GET', route: '/users/:id', status: '200', count: 2 },
        { method: 'PATCH', route: '/auth/accounts/:id', status: '204', count: 1 },
        { method: 'GET', route: 'unmatched', status: '404', count: 1 },
      ]),
    );
    const text = await metrics.registry.metrics();
    expect(text).not.toMatch(/\/users\/1/);
    expect(text).toMatch(/http_server_active_requests\{method="GET",service="redwire-test"\} 0/);
  });

  it('when a route resolver is given, then unrouted requests get its label', async () => {
    const metrics = createMetrics({
      service: 'redwire-test',
      defaultMetrics: false,
      resolveRoute: (req) => (req.originalUrl.startsWith('/proxied') ? '/proxied/*' : undefined),
    });
    const base = await serve(appWith(metrics));
    await fetch(`${base}/proxied/a/b`);
    await new Promise((r) => setTimeout(r, 20));
    expect(await durationCounts(metrics)).toEqual([
      { method: 'GET', route: '/proxied/*', status: '502', count: 1 },
    ]);
  });

  it('when /metrics is scraped, then it answers Prometheus text with process metrics and the service label', async () => {
    const metrics = createMetrics({ service: 'redwire-test' });
    const base = await serve(appWith(metrics));
    await fetch(`${base}/users/1`);
    const res = await fetch(`${base}/metrics`);
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toMatch(/^# HELP process_cpu_user_seconds_total/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds\{service="redwire-test"\}/m);
    const bucket = text.split('\n').find((l) => l.startsWith('http_server_request_duration_seconds_bucket{'));
    expect(bucket).toContain('route="/users/:id"');
    expect(bucket).toContain('service="redwire-test"');
  });

  it('when options are invalid, then it throws', () => {
    expect(() => createMetrics({ service: '' })).toThrow(/service/);
    expect(() => createMetrics({ service: 's', buckets: [0.1, 0.05] })).toThrow(/buckets/);
    expect(() => createMetrics({ service: 's', buckets: [] })).toThrow(/buckets/);
  });
});
