import { createHash } from 'node:crypto';
import { ConfigError } from '@redwire/config';
import { parse } from 'yaml';
import {
  type ComposeModel,
  type ComposeService,
  environmentOf,
  healthcheckUrls,
  publishedPorts,
} from './compose-model';
import { readRepoFile } from './repo';
import type { ServiceContract } from './service-contracts';

/** Everything the compose file is checked against besides the services' own config loaders. */
export interface ComposeInputs {
  readonly compose: ComposeModel;
  /** `.env.example` (the values the model was interpolated with). */
  readonly env: Readonly<Record<string, string>>;
  /** infra/prometheus/prometheus.yml, parsed. */
  readonly prometheus: PrometheusConfig;
  /** Reads a file the compose file mounts (path as written in compose, relative to the repo root). */
  readonly readFile: (path: string) => string;
}

export interface PrometheusConfig {
  scrape_configs?: { job_name: string; metrics_path?: string; static_configs?: { targets?: string[] }[] }[];
}

/** The inputs as committed. */
export function committedInputs(compose: ComposeModel, env: Readonly<Record<string, string>>): ComposeInputs {
  return {
    compose,
    env,
    prometheus: parse(readRepoFile('infra/prometheus/prometheus.yml')) as PrometheusConfig,
    readFile: (path) => readRepoFile(path.replace(/^\.\//, '')),
  };
}

const PRELOAD = '/app/shared/observability/dist/preload.js';
const REDIS_HOSTS: Record<string, string> = { REDIS_URL: 'redis-state', CACHE_REDIS_URL: 'redis-cache' };

/**
 * Cross-checks docker-compose.yml against each service's config schema and against the Prometheus and
 * Redis files it mounts. Returns every disagreement as one readable line; empty means consistent.
 */
export function checkCompose(inputs: ComposeInputs, contracts: readonly ServiceContract[]): string[] {
  const problems: string[] = [];
  const configs = new Map<string, Record<string, unknown>>();
  for (const contract of contracts) {
    const service = inputs.compose.services[contract.compose];
    if (!service) {
      problems.push(`${contract.compose}: missing from docker-compose.yml`);
      continue;
    }
    const env = environmentOf(service);
    const loaded = loadServiceEnv(contract, env);
    problems.push(...loaded.problems.map((p) => `${contract.compose}: ${p}`));
    const config = loaded.config;
    if (!config) continue;
    configs.set(contract.compose, config);
    if (contract.serviceName && env.OTEL_SERVICE_NAME !== contract.serviceName) {
      problems.push(`${contract.compose}: OTEL_SERVICE_NAME must be ${contract.serviceName}`);
    }
    problems.push(...checkImage(contract, service), ...checkRedisUrls(inputs, contract, env));
    if (contract.http) problems.push(...checkHttpSurface(inputs, contract, service, config));
    if (contract.publishedPortKey) {
      const want = Number(config[contract.publishedPortKey]);
      for (const port of publishedPorts(service)) {
        if (port.target !== want) {
          problems.push(
            `${contract.compose}: publishes container port ${port.target}, it listens on ${want}`,
          );
        }
      }
    }
  }
  problems.push(...checkServiceUrls(inputs.compose, contracts, configs));
  return problems;
}

/**
 * Loads a service's config from `env` as the service would. Returns the config (unless it refuses to
 * load) and one problem per bad key or per variable its config does not read (`OTEL_*` aside: the
 * OpenTelemetry preload reads those).
 */
export function loadServiceEnv(
  contract: ServiceContract,
  env: Record<string, string>,
): { config?: Record<string, unknown>; problems: string[] } {
  let config: Record<string, unknown>;
  try {
    config = contract.load(env) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { problems: error.issues.map((issue) => `${issue.key} ${issue.problem}`) };
  }
  const problems = Object.keys(env)
    .filter((key) => !key.startsWith('OTEL_') && !reads(contract, env, config, key))
    .map((key) => `sets ${key}, which its config does not read`);
  return { config, problems };
}

/**
 * Whether the service's config reads `key`. An empty value counts as unset for loadConfig, so such a key is
 * probed with a placeholder value: a schema that reads it either keeps it or rejects the placeholder.
 */
function reads(contract: ServiceContract, env: Record<string, string>, config: object, key: string): boolean {
  if (key in config) return true;
  if (env[key] !== '') return false;
  try {
    return key in contract.load({ ...env, [key]: 'probe' });
  } catch (error) {
    return error instanceof ConfigError && error.issues.some((issue) => issue.key === key);
  }
}

function checkImage(contract: ServiceContract, service: ComposeService): string[] {
  const problems: string[] = [];
  const where = contract.compose;
  if (service.build?.args?.SERVICE !== undefined && service.build.args.SERVICE !== contract.image) {
    problems.push(`${where}: builds SERVICE=${service.build.args.SERVICE}, needs ${contract.image}`);
  }
  if (service.build && service.build.dockerfile !== 'infra/docker/Dockerfile') {
    problems.push(`${where}: must build infra/docker/Dockerfile`);
  }
  if (service.image !== `redwire/${contract.image}:local`) {
    problems.push(`${where}: image must be redwire/${contract.image}:local`);
  }
  // Without a command the image's CMD runs: the preloaded dist/main.js.
  const command = Array.isArray(service.command) ? service.command : undefined;
  const entry = command ? command.at(-1) : 'dist/main.js';
  if (service.command !== undefined && !command) problems.push(`${where}: command must be exec form`);
  if (entry !== contract.entry) problems.push(`${where}: runs ${entry}, must run ${contract.entry}`);
  const preloaded = !command || (command.includes('--require') && command.includes(PRELOAD));
  if (contract.serviceName && !preloaded) problems.push(`${where}: must preload ${PRELOAD}`);
  return problems;
}

function checkHttpSurface(
  inputs: ComposeInputs,
  contract: ServiceContract,
  service: ComposeService,
  config: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  const surface = contract.http as NonNullable<ServiceContract['http']>;
  const where = contract.compose;
  const port = Number(config[surface.portKey]);
  const urls = healthcheckUrls(service);
  if (urls.length !== 1) problems.push(`${where}: the healthcheck must request exactly one URL`);
  for (const url of urls) {
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) {
      problems.push(`${where}: healthcheck requests ${url.hostname}, not the container itself`);
    }
    if (Number(url.port) !== port) {
      problems.push(`${where}: healthcheck requests port ${url.port}, ${surface.portKey} is ${port}`);
    }
    if (url.pathname !== surface.health) {
      problems.push(`${where}: healthcheck requests ${url.pathname}, the service serves ${surface.health}`);
    }
  }
  if (surface.metrics === undefined) return problems;
  const jobs = (inputs.prometheus.scrape_configs ?? []).filter((job) =>
    (job.static_configs ?? []).some((s) => (s.targets ?? []).some((t) => t.split(':')[0] === where)),
  );
  if (jobs.length !== 1) problems.push(`${where}: Prometheus must scrape it in exactly one job`);
  for (const job of jobs) {
    const targets = (job.static_configs ?? []).flatMap((s) => s.targets ?? []);
    if (!targets.includes(`${where}:${port}`)) {
      problems.push(`${where}: Prometheus scrapes ${targets.join(', ')}, ${surface.portKey} is ${port}`);
    }
    if ((job.metrics_path ?? '/metrics') !== surface.metrics) {
      problems.push(
        `${where}: Prometheus scrapes ${job.metrics_path}, the service serves ${surface.metrics}`,
      );
    }
  }
  return problems;
}

/** The `user <name> ... #<sha256>` hashes of an ACL file. */
export function aclPasswordHashes(acl: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const line of acl.split('\n')) {
    const match = /^user (\S+) .*#([0-9a-f]{64})/.exec(line);
    if (match) hashes.set(match[1] as string, match[2] as string);
  }
  return hashes;
}

/** The ACL file mounted into a Redis service (as written in compose). */
function aclFileOf(service: ComposeService | undefined): string | undefined {
  const mount = (service?.volumes ?? []).find((v) => v.split(':')[1] === '/usr/local/etc/redis/users.acl');
  return mount?.split(':')[0];
}

function checkRedisUrls(inputs: ComposeInputs, contract: ServiceContract, env: Record<string, string>) {
  const problems: string[] = [];
  const where = contract.compose;
  if (env.REDIS_NAMESPACE)
    problems.push(`${where}: REDIS_NAMESPACE would move every key out of its ACL patterns`);
  for (const [key, host] of Object.entries(REDIS_HOSTS)) {
    if (env[key] === undefined) continue;
    const url = new URL(env[key]);
    const user = decodeURIComponent(url.username);
    if (url.hostname !== host) problems.push(`${where}: ${key} must point at ${host}`);
    if (user !== contract.redisUser)
      problems.push(`${where}: ${key} authenticates as "${user}", not ${contract.redisUser}`);
    const aclFile = aclFileOf(inputs.compose.services[url.hostname]);
    if (!aclFile) {
      problems.push(`${where}: ${url.hostname} mounts no ACL file`);
      continue;
    }
    const hash = createHash('sha256').update(decodeURIComponent(url.password)).digest('hex');
    if (aclPasswordHashes(inputs.readFile(aclFile)).get(user) !== hash) {
      problems.push(`${where}: ${key}'s password is not the one ${aclFile} accepts for "${user}"`);
    }
  }
  return problems;
}

/** `*_SERVICE_URL` variables must name a compose service and the port its config listens on. */
function checkServiceUrls(
  compose: ComposeModel,
  contracts: readonly ServiceContract[],
  configs: Map<string, Record<string, unknown>>,
): string[] {
  const problems: string[] = [];
  for (const contract of contracts) {
    const env = environmentOf(compose.services[contract.compose] ?? {});
    for (const [key, value] of Object.entries(env)) {
      if (!key.endsWith('_SERVICE_URL')) continue;
      const url = new URL(value);
      const target = configs.get(url.hostname);
      if (!target) {
        problems.push(
          `${contract.compose}: ${key} points at ${url.hostname}, which is not a checked service`,
        );
      } else if (Number(url.port || 80) !== Number(target.PORT)) {
        problems.push(
          `${contract.compose}: ${key} uses port ${url.port}, ${url.hostname} listens on ${target.PORT}`,
        );
      }
    }
  }
  return problems;
}
