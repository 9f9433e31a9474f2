import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { StackConfig } from './stack-config';

const repoRoot = path.resolve(__dirname, '../../..');

/** The supervised processes' names (log prefixes, and what the chaos harness signals). */
export const STACK_PROCESS = {
  stateRedis: 'redis',
  cacheRedis: 'redis-cache',
  postgres: 'postgres',
  user: 'user',
  worker: 'user-worker',
  auth: 'auth',
  gateway: 'gateway',
} as const;

/** One service of the stack, run as `node --require <preload> <entry>`. */
export interface ServiceSpec {
  /** Process name and prefix of its log lines, e.g. `user`. */
  readonly name: string;
  /** Compiled entry point (absolute path). */
  readonly entry: string;
  /**
   * The settings the runner sets for it (ports, URLs, names); `serviceEnvironment` adds the environment
   * passed through and the defaults.
   */
  readonly env: Readonly<Record<string, string>>;
  /** Polled until it answers 200 before the stack reports ready (the worker's is its /healthz). */
  readonly readyUrl?: string;
}

/** Ports of one gateway instance. */
export interface GatewayPorts {
  readonly port: number;
  readonly adminPort: number;
}

/** Where the services find the state Redis: one server, or a Redis Cluster's nodes (`host:port`). */
export type StateRedis = { readonly url: string } | { readonly clusterNodes: readonly string[] };

/** The services' processes: the compiled entry points that exist, with the settings the runner sets for each. */
export function serviceSpecs(
  config: StackConfig,
  state: StateRedis,
  cacheRedisUrl: string,
  databaseUrl: string,
): ServiceSpec[] {
  const common = {
    HOST: '127.0.0.1',
    ...('url' in state ? { REDIS_URL: state.url } : { REDIS_CLUSTER_NODES: state.clusterNodes.join(',') }),
    // Always its own single node, also beside a cluster: it is a cache (README "Running on a Redis Cluster").
    CACHE_REDIS_URL: cacheRedisUrl,
  };
  const userUrl = `http://127.0.0.1:${config.userPort}`;
  const authUrl = `http://127.0.0.1:${config.authPort}`;
  const specs: ServiceSpec[] = [
    {
      name: 'user',
      entry: path.join(repoRoot, 'services/user/dist/main.js'),
      env: {
        ...common,
        PORT: String(config.userPort),
        DATABASE_URL: databaseUrl,
        OTEL_SERVICE_NAME: 'redwire-user',
      },
      readyUrl: `${userUrl}/readyz`,
    },
    {
      name: 'user-worker',
      entry: path.join(repoRoot, 'services/user/dist/worker.js'),
      env: {
        ...common,
        DATABASE_URL: databaseUrl,
        METRICS_PORT: String(config.workerMetricsPort),
        OTEL_SERVICE_NAME: 'redwire-user-worker',
      },
      // The worker has no /readyz: its /healthz answers once it has started its loops.
      readyUrl: `http://127.0.0.1:${config.workerMetricsPort}/healthz`,
    },
    {
      name: 'auth',
      entry: path.join(repoRoot, 'services/auth/dist/main.js'),
      env: {
        ...common,
        PORT: String(config.authPort),
        DATABASE_URL: databaseUrl,
        USER_SERVICE_URL: userUrl,
        OTEL_SERVICE_NAME: 'redwire-auth',
      },
      readyUrl: `${authUrl}/readyz`,
    },
    {
      name: 'gateway',
      entry: path.join(repoRoot, 'services/gateway/dist/main.js'),
      env: {
        ...common,
        PORT: String(config.gatewayPort),
        ADMIN_PORT: String(config.gatewayAdminPort),
        USER_SERVICE_URL: userUrl,
        AUTH_SERVICE_URL: authUrl,
        RATE_LIMIT_INSTANCES: '1',
        OTEL_SERVICE_NAME: 'redwire-gateway',
      },
      readyUrl: `http://127.0.0.1:${config.gatewayAdminPort}/readyz`,
    },
  ];
  return specs.filter((spec) => fs.existsSync(spec.entry));
}

/** The first gateway's spec again on other ports, once per extra instance; each knows how many there are. */
export function withGatewayReplicas(specs: ServiceSpec[], extra: readonly GatewayPorts[]): ServiceSpec[] {
  const gateway = specs.find((s) => s.name === STACK_PROCESS.gateway);
  if (!gateway || extra.length === 0) return specs;
  const instances = String(extra.length + 1);
  const replicas = extra.map(
    (ports, i): ServiceSpec => ({
      ...gateway,
      name: `${STACK_PROCESS.gateway}-${i + 2}`,
      env: {
        ...gateway.env,
        PORT: String(ports.port),
        ADMIN_PORT: String(ports.adminPort),
        RATE_LIMIT_INSTANCES: instances,
      },
      readyUrl: `http://127.0.0.1:${ports.adminPort}/readyz`,
    }),
  );
  return [
    ...specs.map((s) => (s === gateway ? { ...s, env: { ...s.env, RATE_LIMIT_INSTANCES: instances } } : s)),
    ...replicas,
  ];
}

/** The ports of one more instance of every service (REDWIRE_INSTANCES > 1). */
export interface InstancePorts extends GatewayPorts {
  readonly userPort: number;
  readonly authPort: number;
  readonly workerMetricsPort: number;
}

/**
 * Instance i (2, 3, …) of every service: `user-i`, `user-worker-i`, `auth-i`, `gateway-i`, each the first
 * instance's spec on its own ports. Gateway i calls user i and auth i, auth i calls user i (a 1:1 pairing:
 * every instance shares the same Redis and PostgreSQL, so no pairing sees other data than another).
 */
export function withInstances(specs: ServiceSpec[], extra: readonly InstancePorts[]): ServiceSpec[] {
  if (extra.length === 0) return specs;
  const byName = new Map(specs.map((s) => [s.name, s]));
  const more = extra.flatMap((ports, i): ServiceSpec[] => {
    const n = i + 2;
    const userUrl = `http://127.0.0.1:${ports.userPort}`;
    const authUrl = `http://127.0.0.1:${ports.authPort}`;
    const changes: Record<string, { env: Record<string, string>; readyUrl: string }> = {
      [STACK_PROCESS.user]: { env: { PORT: String(ports.userPort) }, readyUrl: `${userUrl}/readyz` },
      [STACK_PROCESS.worker]: {
        env: { METRICS_PORT: String(ports.workerMetricsPort) },
        readyUrl: `http://127.0.0.1:${ports.workerMetricsPort}/healthz`,
      },
      [STACK_PROCESS.auth]: {
        env: { PORT: String(ports.authPort), USER_SERVICE_URL: userUrl },
        readyUrl: `${authUrl}/readyz`,
      },
      [STACK_PROCESS.gateway]: {
        env: {
          PORT: String(ports.port),
          ADMIN_PORT: String(ports.adminPort),
          USER_SERVICE_URL: userUrl,
          AUTH_SERVICE_URL: authUrl,
        },
        readyUrl: `http://127.0.0.1:${ports.adminPort}/readyz`,
      },
    };
    return Object.entries(changes).flatMap(([name, change]) => {
      const first = byName.get(name);
      return first
        ? [
            {
              ...first,
              name: `${name}-${n}`,
              env: { ...first.env, ...change.env },
              readyUrl: change.readyUrl,
            },
          ]
        : [];
    });
  });
  return withGatewayCount([...specs, ...more]);
}

/** Every gateway gets RATE_LIMIT_INSTANCES = the number of gateways, so the `local` failure mode splits each policy. */
function withGatewayCount(specs: ServiceSpec[]): ServiceSpec[] {
  const isGateway = (s: ServiceSpec) =>
    s.name === STACK_PROCESS.gateway || s.name.startsWith(`${STACK_PROCESS.gateway}-`);
  const count = String(specs.filter(isGateway).length);
  return specs.map((s) => (isGateway(s) ? { ...s, env: { ...s.env, RATE_LIMIT_INSTANCES: count } } : s));
}

/** Runs each service's migration entry point (`dist/migrate.js`), when it has one, before anything starts. */
export function runMigrations(
  env: Readonly<Record<string, string>>,
  databaseUrl: string,
  log: (line: string) => void,
  relay: (line: string) => void,
): void {
  for (const service of ['user', 'auth']) {
    const entry = path.join(repoRoot, `services/${service}/dist/migrate.js`);
    if (!fs.existsSync(entry)) continue;
    log(`migrating ${service}`);
    const result = spawnSync(process.execPath, [entry], {
      env: { ...env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 60000,
    });
    for (const line of `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n').filter(Boolean)) {
      relay(`[migrate ${service}] ${line}`);
    }
    if (result.status !== 0) throw new Error(`migrations of ${service} failed (exit ${result.status})`);
  }
}
