import { pollUntil } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PrometheusConfig } from './support/compose-check';
import { healthcheckUrls, loadCompose } from './support/compose-model';
import { dashboardQueries, exposedSamples, metricNames, pinnedService } from './support/dashboard';
import { type ApiUser, type RunningStack, registerAndLogin, startLocalStack } from './support/local-stack';
import { readRepoFile } from './support/repo';
import { SERVICE_CONTRACTS } from './support/service-contracts';

// What compose probes and Prometheus scrapes, tried against the real services (the `npm start` stack):
// the compose healthcheck paths, every scrape target's /metrics, and every metric the dashboard queries.

const compose = loadCompose().value;
const prometheus = parse(readRepoFile('infra/prometheus/prometheus.yml')) as PrometheusConfig;
let stack: RunningStack;
let user: ApiUser;

/** The local port of a compose service's config port key. */
function localPort(service: string, portKey: string): number {
  const ports: Record<string, Record<string, number>> = {
    gateway: { PORT: stack.ports.gateway, ADMIN_PORT: stack.ports.gatewayAdmin },
    user: { PORT: stack.ports.user },
    auth: { PORT: stack.ports.auth },
    'user-worker': { METRICS_PORT: stack.ports.workerMetrics },
  };
  const port = ports[service]?.[portKey];
  if (port === undefined) throw new Error(`no local port for ${service} ${portKey}`);
  return port;
}

const metricsTexts = new Map<string, string>();

const until = (probe: () => Promise<boolean>, what: string, timeoutMs = 15_000) =>
  pollUntil(probe, { what, timeoutMs, intervalMs: 100 });

beforeAll(async () => {
  stack = await startLocalStack({ LOG_LEVEL: 'warn' });
  // Enough traffic for every labelled series to have a sample: reads (miss, hit), a write and its event,
  // limiter decisions, logins and a registration.
  user = await registerAndLogin(stack.gatewayUrl, 'surface');
  const auth = { authorization: `Bearer ${user.token}` };
  for (let i = 0; i < 2; i++) await fetch(`${stack.gatewayUrl}/users/${user.id}`, { headers: auth });
  const patched = await fetch(`${stack.gatewayUrl}/users/${user.id}`, {
    method: 'PATCH',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ bio: 'surface' }),
  });
  expect(patched.status).toBe(200);
  const scrape = async (service: string) => {
    const contract = SERVICE_CONTRACTS.find((c) => c.compose === service);
    const port = localPort(service, contract?.http?.portKey ?? 'PORT');
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  };
  // Both consumer groups have handled the events of the registration and the write.
  await until(async () => {
    const [worker, auth] = await Promise.all([scrape('user-worker'), scrape('auth')]);
    return (
      /redwire_stream_messages_total\{[^}]*outcome="acked"/.test(worker) &&
      /redwire_stream_messages_total\{[^}]*outcome="acked"/.test(auth)
    );
  }, 'events consumed by user-cache and auth');
  for (const service of ['gateway', 'user', 'user-worker', 'auth'])
    metricsTexts.set(service, await scrape(service));
}, 180_000);

afterAll(async () => {
  expect(await stack?.stop()).toBe(0);
}, 60_000);

describe('compose probes against the running services', () => {
  it('when each compose healthcheck requests its path on the service’s port, then the service answers 200', async () => {
    for (const contract of SERVICE_CONTRACTS.filter((c) => c.http)) {
      const service = compose.services[contract.compose];
      const [url] = healthcheckUrls(service ?? {});
      if (!url) throw new Error(`${contract.compose} has no healthcheck URL`);
      const port = localPort(contract.compose, contract.http?.portKey ?? '');
      const response = await fetch(`http://127.0.0.1:${port}${url.pathname}`);
      expect(response.status, `${contract.compose} ${url.pathname}`).toBe(200);
    }
  });

  it('when Prometheus scrapes each job, then it gets the text exposition with the service label', async () => {
    for (const job of prometheus.scrape_configs ?? []) {
      for (const target of (job.static_configs ?? []).flatMap((s) => s.targets ?? [])) {
        // The port itself is checked against the service's config by compose-config.test.ts.
        const host = target.split(':')[0] ?? '';
        const contract = SERVICE_CONTRACTS.find((c) => c.compose === host);
        const portKey = contract?.http?.portKey ?? '';
        const response = await fetch(
          `http://127.0.0.1:${localPort(host, portKey)}${job.metrics_path ?? '/metrics'}`,
        );
        expect(response.status, target).toBe(200);
        expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        expect(await response.text()).toMatch(new RegExp(`service="${contract?.serviceName}"`));
      }
    }
  });

  it('when the dashboard’s queries are matched against every /metrics, then each metric they select is exposed, by the service a query names', () => {
    const union = new Set([...metricsTexts.values()].flatMap((text) => [...exposedSamples(text)]));
    const byService = new Map(
      SERVICE_CONTRACTS.filter((c) => c.serviceName).map((c) => [
        c.serviceName,
        exposedSamples(metricsTexts.get(c.compose) ?? ''),
      ]),
    );
    const missing: string[] = [];
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    for (const { panel, expr } of queries) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      const pinned = pinnedService(expr);
      const exposed = pinned ? byService.get(pinned) : union;
      for (const name of names)
        if (!exposed?.has(name)) missing.push(`${panel}: ${name}${pinned ? ` on ${pinned}` : ''}`);
    }
    expect(missing).toEqual([]);
  });

  it('when the processes that run a consumer group or a BullMQ queue are scraped, then they report its pending entries and job counts', () => {
    const pending = (service: string, group: string) =>
      new RegExp(`^redwire_stream_pending\\{stream="user-events",group="${group}"[^}]*\\} \\d+$`, 'm').test(
        metricsTexts.get(service) ?? '',
      );
    expect(pending('user-worker', 'user-cache')).toBe(true);
    expect(pending('auth', 'auth')).toBe(true);
    for (const queue of ['cache-invalidation', 'outbox-maintenance'])
      for (const state of ['wait', 'active', 'delayed', 'failed', 'prioritized'])
        expect(metricsTexts.get('user-worker')).toMatch(
          new RegExp(`^redwire_queue_jobs\\{queue="${queue}",state="${state}"[^}]*\\} \\d+$`, 'm'),
        );
  });
});
