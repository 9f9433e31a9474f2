import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  type ComposeService,
  environmentOf,
  healthcheckUrls,
  loadCompose,
  publishedPorts,
} from './support/compose-model';
import { envExample, readRepoFile } from './support/repo';

// Jaeger cannot run here (no image registry), so infra/jaeger/config.yaml is checked statically against
// Jaeger v2's documented configuration: the all-in-one layout (cmd/jaeger/internal/all-in-one.yaml), the
// jaeger_query options (QueryOptions: storage, base_path, ui, http, grpc, ...), the memory backend
// (Configuration{max_traces}, which must be > 0) and the OpenTelemetry healthcheckv2 extension
// (use_v2, http.endpoint, GET /status by default). Then the healthchecks of Jaeger, Prometheus and Grafana,
// each with a command its image has, and Grafana's Jaeger link.

type Yaml = Record<string, unknown>;
const jaegerConfig = parse(readRepoFile('infra/jaeger/config.yaml')) as Yaml;
const compose = loadCompose().value;
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`no ${name} in docker-compose.yml`);
  return found;
};

const at = (value: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((node, key) => (node as Yaml | undefined)?.[key], value);
const keysOf = (value: unknown): string[] => Object.keys((value as Yaml | undefined) ?? {});
const portOf = (endpoint: unknown): number => Number(String(endpoint).split(':').pop());

/** What Jaeger v2 2.x documents for each component this file configures. */
const SCHEMA = {
  top: ['service', 'extensions', 'receivers', 'processors', 'exporters', 'connectors'],
  service: ['extensions', 'pipelines', 'telemetry'],
  extensions: [
    'jaeger_storage',
    'jaeger_query',
    'healthcheckv2',
    'remote_sampling',
    'expvar',
    'pprof',
    'zpages',
  ],
  storageBackend: ['memory', 'badger', 'grpc', 'cassandra', 'elasticsearch', 'opensearch', 'clickhouse'],
  memory: ['max_traces'],
  query: [
    'storage',
    'base_path',
    'ui',
    'bearer_token_propagation',
    'multi_tenancy',
    'max_clock_skew_adjust',
    'max_trace_size',
    'enable_tracing',
    'http',
    'grpc',
  ],
  queryStorage: ['traces', 'traces_archive', 'metrics'],
  healthcheckv2: ['use_v2', 'component_health', 'http', 'grpc'],
  otlpProtocols: ['grpc', 'http'],
} as const;

/** `${env:NAME:-default}` resolved the way the collector does, with `env` as its environment. */
function expandEnv(value: unknown, env: Record<string, string>): string {
  return String(value).replace(/\$\{env:(\w+)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) =>
    env[name] !== undefined && env[name] !== '' ? (env[name] as string) : (fallback ?? ''),
  );
}

describe('infra/jaeger/config.yaml against Jaeger v2’s configuration', () => {
  it('when its keys are read, then each is one Jaeger v2 documents', () => {
    const unknown = (where: string, value: unknown, allowed: readonly string[]) =>
      keysOf(value)
        .filter((key) => !allowed.includes(key))
        .map((key) => `${where}.${key}`);
    const backends = at(jaegerConfig, 'extensions', 'jaeger_storage', 'backends') as Yaml;
    expect([
      ...unknown('', jaegerConfig, SCHEMA.top),
      ...unknown('service', at(jaegerConfig, 'service'), SCHEMA.service),
      ...unknown('extensions', at(jaegerConfig, 'extensions'), SCHEMA.extensions),
      ...Object.entries(backends).flatMap(([name, backend]) => [
        ...unknown(`backends.${name}`, backend, SCHEMA.storageBackend),
        ...unknown(`backends.${name}.memory`, at(backend, 'memory'), SCHEMA.memory),
      ]),
      ...unknown('jaeger_query', at(jaegerConfig, 'extensions', 'jaeger_query'), SCHEMA.query),
      ...unknown(
        'jaeger_query.storage',
        at(jaegerConfig, 'extensions', 'jaeger_query', 'storage'),
        SCHEMA.queryStorage,
      ),
      ...unknown('healthcheckv2', at(jaegerConfig, 'extensions', 'healthcheckv2'), SCHEMA.healthcheckv2),
      ...unknown('otlp.protocols', at(jaegerConfig, 'receivers', 'otlp', 'protocols'), SCHEMA.otlpProtocols),
    ]).toEqual([]);
  });

  it('when the pipeline is followed, then OTLP goes through batch into the memory store the query extension reads', () => {
    const extensions = at(jaegerConfig, 'service', 'extensions') as string[];
    expect(extensions).toEqual(expect.arrayContaining(['jaeger_storage', 'jaeger_query', 'healthcheckv2']));
    for (const name of extensions) expect(keysOf(at(jaegerConfig, 'extensions')), name).toContain(name);
    const traces = at(jaegerConfig, 'service', 'pipelines', 'traces') as Record<string, string[]>;
    expect(traces).toEqual({
      receivers: ['otlp'],
      processors: ['batch'],
      exporters: ['jaeger_storage_exporter'],
    });
    for (const [kind, names] of Object.entries(traces)) {
      for (const name of names) expect(keysOf(at(jaegerConfig, kind)), `${kind} ${name}`).toContain(name);
    }
    const store = at(jaegerConfig, 'exporters', 'jaeger_storage_exporter', 'trace_storage');
    expect(at(jaegerConfig, 'extensions', 'jaeger_query', 'storage', 'traces')).toBe(store);
    expect(keysOf(at(jaegerConfig, 'extensions', 'jaeger_storage', 'backends'))).toEqual([store]);
  });

  it('when the memory store is sized with compose’s environment, then it holds a bounded number of traces, within the memory limit', () => {
    const store = String(at(jaegerConfig, 'exporters', 'jaeger_storage_exporter', 'trace_storage'));
    const raw = at(jaegerConfig, 'extensions', 'jaeger_storage', 'backends', store, 'memory', 'max_traces');
    const env = environmentOf(service('jaeger'));
    const maxTraces = Number(expandEnv(raw, env));
    expect(Number.isInteger(maxTraces) && maxTraces > 0, String(raw)).toBe(true);
    // ~30 spans of ~1.5 KiB per request: 45 KiB a trace must fit in the container's limit with room.
    const limitMiB =
      Number(/^(\d+)G$/.exec(service('jaeger').deploy?.resources?.limits?.memory ?? '')?.[1]) * 1024;
    expect((maxTraces * 45) / 1024).toBeLessThan(limitMiB * 0.6);
    // The default when .env sets nothing is the one compose passes.
    expect(expandEnv(raw, {})).toBe(String(maxTraces));
    const bigger = environmentOf(
      loadCompose(undefined, { ...envExample(), JAEGER_MAX_TRACES: '2000' }).value.services.jaeger ?? {},
    );
    expect(expandEnv(raw, bigger)).toBe('2000');
  });

  it('when compose runs Jaeger, then it mounts this file, passes it with --config, and the ports agree', () => {
    const jaeger = service('jaeger');
    expect(jaeger.volumes).toContain('./infra/jaeger/config.yaml:/etc/jaeger/config.yaml:ro');
    expect(jaeger.command).toEqual(['--config', '/etc/jaeger/config.yaml']);
    const otlp = (protocol: string) =>
      portOf(at(jaegerConfig, 'receivers', 'otlp', 'protocols', protocol, 'endpoint'));
    expect([otlp('grpc'), otlp('http')]).toEqual([4317, 4318]);
    // The services export OTLP/HTTP to jaeger:4318.
    const exportTo = new URL(environmentOf(service('gateway')).OTEL_EXPORTER_OTLP_ENDPOINT ?? '');
    expect([exportTo.hostname, Number(exportTo.port)]).toEqual(['jaeger', otlp('http')]);
    const query = portOf(at(jaegerConfig, 'extensions', 'jaeger_query', 'http', 'endpoint'));
    expect(publishedPorts(jaeger).map((p) => p.target)).toEqual([query]);
    expect(String(at(jaegerConfig, 'extensions', 'jaeger_query', 'http', 'endpoint'))).toMatch(
      /^0\.0\.0\.0:/,
    );
  });

  it('when compose probes Jaeger, then busybox wget asks the healthcheckv2 status endpoint, which listens on loopback only', () => {
    const health = at(jaegerConfig, 'extensions', 'healthcheckv2') as Yaml;
    expect(health.use_v2).toBe(true);
    const endpoint = String(at(health, 'http', 'endpoint'));
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    const path = String(at(health, 'http', 'status', 'path') ?? '/status');
    const [url] = healthcheckUrls(service('jaeger'));
    expect(service('jaeger').healthcheck?.test?.slice(0, 2)).toEqual(['CMD', 'wget']);
    expect([url?.hostname, Number(url?.port), url?.pathname]).toEqual(['127.0.0.1', portOf(endpoint), path]);
  });
});

describe('the observability services in compose', () => {
  it.each([
    // prom/prometheus is built FROM quay.io/prometheus/busybox: wget is busybox's.
    ['prometheus', 'wget', 9090, '/-/ready'],
    // grafana/grafana installs curl in both its Alpine and Ubuntu variants.
    ['grafana', 'curl', 3000, '/api/health'],
  ] as const)(
    'when compose probes %s, then it runs %s against its own port %i%s',
    (name, binary, port, path) => {
      const test = service(name).healthcheck?.test;
      expect(Array.isArray(test) && test.slice(0, 2)).toEqual(['CMD', binary]);
      const [url] = healthcheckUrls(service(name));
      expect([url?.hostname, Number(url?.port), url?.pathname]).toEqual(['127.0.0.1', port, path]);
      expect(publishedPorts(service(name)).map((p) => p.target)).toEqual([port]);
    },
  );

  it('when Grafana provisions its Jaeger data source, then the URL comes from GRAFANA_JAEGER_URL, default the compose service', () => {
    const datasources = (
      parse(readRepoFile('infra/grafana/provisioning/datasources/datasources.yml')) as {
        datasources: { type: string; url: string }[];
      }
    ).datasources;
    const url = datasources.find((d) => d.type === 'jaeger')?.url ?? '';
    const variable = /^\$\{(\w+)\}$/.exec(url)?.[1] ?? '';
    expect(variable).not.toBe('');
    expect(environmentOf(service('grafana'))[variable]).toBe('http://jaeger:16686');
    const moved = loadCompose(undefined, {
      ...envExample(),
      GRAFANA_JAEGER_URL: 'http://tracing.internal:16686',
    });
    expect(environmentOf(moved.value.services.grafana ?? {})[variable]).toBe('http://tracing.internal:16686');
  });
});
