import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dashboardQueries, metricNames, pinnedService } from './support/dashboard';
import { readRepoFile } from './support/repo';

// Which metrics the dashboard needs is checked against the running services in stack-surface.serial.test.ts;
// this file checks the dashboard itself and the PromQL name extraction that check relies on.

describe('metric names in PromQL', () => {
  it.each([
    [
      'sum by (service, route) (rate(http_server_request_duration_seconds_count{service=~"$service"}[$__rate_interval]))',
      ['http_server_request_duration_seconds_count'],
    ],
    ['histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket[5m])))', ['a_seconds_bucket']],
    [
      'sum(rate(x_total{result="hit"}[5m])) / ignoring(result) group_left() sum(rate(x_total[5m]))',
      ['x_total'],
    ],
    ['max by (state) (gate_state) == 1', ['gate_state']],
    ['max(a) or on(service) b', ['a', 'b']],
  ])('when the query is %s, then it selects %j', (expr, names) => {
    expect(metricNames(expr).sort()).toEqual([...names].sort());
  });

  it('when a query names a service label, then that is the service it must be checked on', () => {
    expect(pinnedService('rate(x{service="redwire-gateway", status="429"}[1m])')).toBe('redwire-gateway');
    expect(pinnedService('rate(x{service=~"$service"}[1m])')).toBeUndefined();
  });
});

describe('infra/grafana/dashboards/redwire.json', () => {
  const dashboard = JSON.parse(readRepoFile('infra/grafana/dashboards/redwire.json')) as {
    uid: string;
    panels: {
      id: number;
      title: string;
      type: string;
      datasource?: { uid?: string };
      gridPos: Record<string, number>;
    }[];
  };
  const provisioned = parse(readRepoFile('infra/grafana/provisioning/datasources/datasources.yml')) as {
    datasources: { uid: string; type: string }[];
  };

  it('when it is provisioned, then every panel queries the provisioned Prometheus data source and has a unique id', () => {
    const prometheus = provisioned.datasources.find((d) => d.type === 'prometheus')?.uid;
    const panels = dashboard.panels.filter((p) => p.type !== 'row');
    for (const panel of panels) expect(panel.datasource?.uid, panel.title).toBe(prometheus);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when it is read, then it has a panel for each view the issue asks for', () => {
    const queries = dashboardQueries()
      .map((q) => q.expr)
      .join('\n');
    for (const metric of [
      'http_server_request_duration_seconds_count', // requests by route
      'http_server_request_duration_seconds_bucket', // p99 by route
      'redwire_user_cache_requests_total', // hit/miss/stale/bypass
      'gateway_ratelimit_decisions_total', // rate-limit decisions
      'status="429"', // 429 rate
      'redwire_user_cache_invalidation_lag_seconds_bucket', // invalidation lag
      'max by (stream, group) (redwire_stream_pending)', // stream pending, per group
      'max by (queue, state) (redwire_queue_jobs)', // queue depth
      'redwire_circuit_breaker_state', // breaker state
    ]) {
      expect(queries, metric).toContain(metric);
    }
  });

  it('when panels are laid out, then none overlaps another', () => {
    const cells = new Set<string>();
    for (const { gridPos, title } of dashboard.panels) {
      for (let x = gridPos.x ?? 0; x < (gridPos.x ?? 0) + (gridPos.w ?? 0); x++) {
        for (let y = gridPos.y ?? 0; y < (gridPos.y ?? 0) + (gridPos.h ?? 0); y++) {
          expect(cells.has(`${x},${y}`), title).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });
});
