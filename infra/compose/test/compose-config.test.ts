import { spawnSync } from 'node:child_process';
import { ConfigError } from '@redwire/config';
import { describe, expect, it } from 'vitest';
import { type ComposeInputs, checkCompose, committedInputs } from './support/compose-check';
import {
  type ComposeModel,
  environmentOf,
  loadCompose,
  networksOf,
  publishedPorts,
} from './support/compose-model';
import { envExample, readRepoFile, repoRoot } from './support/repo';
import { SERVICE_CONTRACTS, TOOL_CONTRACTS } from './support/service-contracts';

const committed = () => {
  const env = envExample();
  const { value, unset } = loadCompose(undefined, env);
  return { inputs: committedInputs(value, env), unset };
};
const nodeServices = SERVICE_CONTRACTS.filter((c) => c.serviceName).map((c) => c.compose);

describe('docker-compose.yml against the services', () => {
  it('when it is checked against every service’s config schema, Prometheus’ targets and the ACL files, then they agree', () => {
    const { inputs, unset } = committed();
    expect(unset).toEqual([]);
    expect(checkCompose(inputs, SERVICE_CONTRACTS)).toEqual([]);
  });

  it('when the tools profile’s queue dashboard is checked against its config schema and the ACL files, then they agree', () => {
    const { inputs } = committed();
    expect(checkCompose(inputs, TOOL_CONTRACTS)).toEqual([]);
  });

  type Drift = [string, (inputs: ComposeInputs) => void, string];
  const env = (inputs: ComposeInputs, service: string) =>
    inputs.compose.services[service]?.environment as Record<string, string>;
  const setHealthUrl = (inputs: ComposeInputs, service: string, from: string, to: string) => {
    const check = inputs.compose.services[service]?.healthcheck;
    if (!check || !Array.isArray(check.test)) throw new Error(`${service} has no exec-form healthcheck`);
    check.test = check.test.map((part) => part.replace(from, to));
  };
  it.each<Drift>([
    [
      'a required variable is dropped',
      (i) => delete env(i, 'user').DATABASE_URL,
      'user: DATABASE_URL is required',
    ],
    [
      'a variable is renamed in compose only',
      (i) => {
        const e = env(i, 'gateway');
        e.AUTH_URL = e.AUTH_SERVICE_URL as string;
        delete e.AUTH_SERVICE_URL;
      },
      'gateway: sets AUTH_URL, which its config does not read',
    ],
    [
      'a value stops validating',
      (i) => {
        env(i, 'auth').REDIS_URL = 'http://redis-state:6379';
      },
      'auth: REDIS_URL must be a URL with scheme redis: or rediss:',
    ],
    [
      'the healthcheck port drifts',
      (i) => setHealthUrl(i, 'gateway', ':9080/', ':9090/'),
      'gateway: healthcheck requests port 9090, ADMIN_PORT is 9080',
    ],
    [
      'the healthcheck path drifts',
      (i) => setHealthUrl(i, 'user', '/readyz', '/ready'),
      'user: healthcheck requests /ready, the service serves /readyz',
    ],
    [
      'a service port moves without its healthcheck',
      (i) => {
        env(i, 'user').PORT = '8091';
      },
      'user: healthcheck requests port 8081, PORT is 8091',
    ],
    [
      'a service port moves without its callers',
      (i) => {
        env(i, 'auth').PORT = '8092';
        setHealthUrl(i, 'auth', ':8082/', ':8092/');
      },
      'gateway: AUTH_SERVICE_URL uses port 8082, auth listens on 8092',
    ],
    [
      'the worker’s metrics port moves without Prometheus',
      (i) => {
        env(i, 'user-worker').METRICS_PORT = '9092';
        setHealthUrl(i, 'user-worker', ':9091/', ':9092/');
      },
      'user-worker: Prometheus scrapes user-worker:9091, METRICS_PORT is 9092',
    ],
    [
      'the published port no longer matches the gateway’s',
      (i) => {
        const gateway = i.compose.services.gateway;
        if (gateway) gateway.ports = ['127.0.0.1:8080:8000'];
      },
      'gateway: publishes container port 8000, it listens on 8080',
    ],
    [
      'a service authenticates to Redis as another service',
      (i) => {
        env(i, 'gateway').REDIS_URL = 'redis://user:dev-only-redis-user-password@redis-state:6379';
      },
      'gateway: REDIS_URL authenticates as "user", not gateway',
    ],
    [
      'a Redis password no longer matches the ACL file',
      (i) => {
        env(i, 'auth').REDIS_URL = 'redis://auth:another-password@redis-state:6379';
      },
      'auth: REDIS_URL\'s password is not the one ./infra/redis/users.acl accepts for "auth"',
    ],
    [
      'the worker loses its entry point',
      (i) => {
        const worker = i.compose.services['user-worker'];
        if (worker) worker.command = undefined;
      },
      'user-worker: runs dist/main.js, must run dist/worker.js',
    ],
  ])('when %s, then the cross-check names it', (_, mutate, expected) => {
    const { inputs } = committed();
    const drifted: ComposeInputs = { ...inputs, compose: structuredClone(inputs.compose) };
    mutate(drifted);
    expect(checkCompose(drifted, SERVICE_CONTRACTS)).toContain(expected);
  });

  it('when a Prometheus target drifts, then the cross-check names it', () => {
    const { inputs } = committed();
    const prometheus = structuredClone(inputs.prometheus);
    const auth = prometheus.scrape_configs?.find((job) => job.job_name === 'auth');
    if (!auth) throw new Error('no auth job');
    auth.static_configs = [{ targets: ['auth:9999'] }];
    expect(checkCompose({ ...inputs, prometheus }, SERVICE_CONTRACTS)).toContain(
      'auth: Prometheus scrapes auth:9999, PORT is 8082',
    );
  });

  it('when .env.example lacks a secret, then compose refuses to interpolate it', () => {
    const { IDENTITY_SIGNING_KEY: _, ...withoutKey } = envExample();
    expect(loadCompose(undefined, withoutKey).unset).toContain('IDENTITY_SIGNING_KEY');
  });

  it('when NODE_ENV=production with the .env.example values, then every service refuses to start', () => {
    const { value } = loadCompose(undefined, { ...envExample(), NODE_ENV: 'production' });
    for (const contract of SERVICE_CONTRACTS.filter((c) => c.serviceName)) {
      const service = value.services[contract.compose] ?? {};
      expect(() => contract.load(environmentOf(service)), contract.compose).toThrow(ConfigError);
      expect(() => contract.load(environmentOf(service))).toThrow(/development value/);
    }
  });

  it('when the .env.example secrets are given without its ALLOW_DEV_SECRETS=true, then every service and migration refuses them although NODE_ENV defaults to development', () => {
    const { ALLOW_DEV_SECRETS: optIn, ...secretsOnly } = envExample();
    expect(optIn).toBe('true');
    const { value } = loadCompose(undefined, secretsOnly);
    for (const contract of SERVICE_CONTRACTS) {
      const env = environmentOf(value.services[contract.compose] ?? {});
      expect(env.NODE_ENV, contract.compose).toBe('development');
      expect(env.ALLOW_DEV_SECRETS, contract.compose).toBe('false');
      expect(() => contract.load(env), contract.compose).toThrow(/ALLOW_DEV_SECRETS=true/);
    }
    // With the opt-in they start (the committed inputs pass the cross-check above).
    for (const contract of SERVICE_CONTRACTS) {
      const env = environmentOf(loadCompose().value.services[contract.compose] ?? {});
      expect(() => contract.load(env), contract.compose).not.toThrow();
    }
  });
});

describe('docker-compose.yml on its own', () => {
  const compose: ComposeModel = committed().inputs.compose;
  const services = Object.entries(compose.services);

  const published = (model: ComposeModel, profile?: string) =>
    Object.entries(model.services)
      .filter(([, s]) => (s.profiles ?? []).length === 0 || (profile && s.profiles?.includes(profile)))
      .flatMap(([name, s]) => publishedPorts(s).map((p) => `${name} ${p.hostIp}:${p.published}->${p.target}`))
      .sort();

  it('when it is read, then only the gateway, Jaeger’s UI, Grafana and Prometheus are published, on loopback by default', () => {
    expect(published(compose)).toEqual([
      'gateway 127.0.0.1:8080->8080',
      'grafana 127.0.0.1:3000->3000',
      'jaeger 127.0.0.1:16686->16686',
      'prometheus 127.0.0.1:9090->9090',
    ]);
    expect(compose.networks?.backend?.internal).toBe(true);
    for (const [name, service] of services) expect(networksOf(service), name).toContain('backend');
  });

  it('when PUBLISH_ADDRESS opens the UIs to the network, then Prometheus and the tools profile, which have no login, stay on loopback', () => {
    const open = loadCompose(undefined, { ...envExample(), PUBLISH_ADDRESS: '0.0.0.0' }).value;
    expect(published(open, 'tools')).toEqual([
      'gateway 0.0.0.0:8080->8080',
      'grafana 0.0.0.0:3000->3000',
      'jaeger 0.0.0.0:16686->16686',
      'prometheus 127.0.0.1:9090->9090',
      'queue-dashboard 127.0.0.1:9092->9092',
      'redis-commander 127.0.0.1:8091->8081',
      'redis-commander-cache 127.0.0.1:8092->8081',
    ]);
    for (const name of ['queue-dashboard', 'redis-commander', 'redis-commander-cache']) {
      expect(open.services[name]?.profiles, name).toEqual(['tools']);
    }
  });

  it('when the Redis browsers are read, then each authenticates as the read-only tools user to its own Redis', () => {
    for (const [name, host] of [
      ['redis-commander', 'redis-state'],
      ['redis-commander-cache', 'redis-cache'],
    ] as const) {
      const env = environmentOf(compose.services[name] ?? {});
      expect(env, name).toMatchObject({
        REDIS_HOST: host,
        REDIS_USERNAME: 'tools',
        REDIS_PASSWORD: envExample().REDIS_TOOLS_PASSWORD,
        READ_ONLY: 'true',
      });
    }
  });

  it('when it is read, then every image is pinned to a version', () => {
    for (const [name, service] of services) {
      const tag = service.image?.split(':')[1] ?? '';
      const local = service.image?.startsWith('redwire/') && tag === 'local';
      expect(local || /^v?\d+(\.\d+)+(-[a-z0-9]+)?$/.test(tag), `${name}: ${service.image}`).toBe(true);
    }
  });

  it('when it is read, then every Node service has a healthcheck, restart policy, init, grace period and memory limit', () => {
    for (const name of nodeServices) {
      const service = compose.services[name];
      expect(service?.healthcheck?.test, name).toBeDefined();
      expect(service?.restart, name).toBe('unless-stopped');
      expect(service?.init, name).toBe(true);
      expect(service?.stop_grace_period, name).toMatch(/^\d+s$/);
      expect(service?.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
    }
    for (const name of ['redis-state', 'redis-cache', 'postgres']) {
      expect(compose.services[name]?.healthcheck?.test, name).toBeDefined();
    }
  });

  it('when services start, then each waits for what it uses to be healthy and for its migrations to finish', () => {
    const conditions = (name: string) =>
      compose.services[name]?.depends_on as Record<string, { condition?: string }>;
    expect(conditions('user')).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'redis-state': { condition: 'service_healthy' },
      'redis-cache': { condition: 'service_healthy' },
      'user-migrate': { condition: 'service_completed_successfully' },
    });
    expect(conditions('auth')).toMatchObject({
      postgres: { condition: 'service_healthy' },
      'redis-state': { condition: 'service_healthy' },
      'auth-migrate': { condition: 'service_completed_successfully' },
    });
    expect(conditions('gateway')).toMatchObject({
      user: { condition: 'service_healthy' },
      auth: { condition: 'service_healthy' },
    });
    for (const name of ['user-migrate', 'auth-migrate']) {
      expect(compose.services[name]?.restart, name).toBe('no');
      expect(conditions(name)).toEqual({ postgres: { condition: 'service_healthy' } });
    }
  });

  it('when the Redis configs are read, then state never evicts and persists, cache evicts, and both load the mounted ACL file', () => {
    const conf = (file: string) => readRepoFile('infra/redis', file);
    expect(conf('redis-state.conf')).toMatch(/^maxmemory-policy noeviction$/m);
    expect(conf('redis-state.conf')).toMatch(/^appendonly yes$/m);
    expect(conf('redis-cache.conf')).toMatch(/^maxmemory-policy (allkeys|volatile)-(lru|lfu)$/m);
    for (const [name, file] of [
      ['redis-state', 'redis-state.conf'],
      ['redis-cache', 'redis-cache.conf'],
    ] as const) {
      expect(conf(file)).toMatch(/^aclfile \/usr\/local\/etc\/redis\/users.acl$/m);
      const volumes = compose.services[name]?.volumes ?? [];
      expect(volumes).toContain(`./infra/redis/${file}:/usr/local/etc/redis/redis.conf:ro`);
      expect(
        volumes.some((v) => v.endsWith(':/usr/local/etc/redis/users.acl:ro')),
        name,
      ).toBe(true);
    }
  });

  it('when .env.example is read, then every variable it sets is used by compose', () => {
    const text = readRepoFile('docker-compose.yml');
    for (const name of Object.keys(envExample())) expect(text, name).toContain(`\${${name}`);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!dockerCompose)(
    'when docker-compose validates it with .env.example, then the default, loadtest and tools profiles pass',
    () => {
      for (const profile of [[], ['--profile', 'loadtest'], ['--profile', 'tools']]) {
        const result = spawnSync(
          'docker-compose',
          ['--env-file', '.env.example', '-f', 'docker-compose.yml', ...profile, 'config', '-q'],
          { cwd: repoRoot, encoding: 'utf8' },
        );
        expect(result.status, result.stderr).toBe(0);
      }
    },
  );
});
