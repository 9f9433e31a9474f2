import type { IContainer } from 'kubernetes-models/v1/Container';
import { loadServiceEnv } from '../../../compose/test/support/compose-check';
import { SERVICE_CONTRACTS, type ServiceContract } from '../../../compose/test/support/service-contracts';
import { secretKeys } from './reference-policy';
import { placeholderSecret } from './secrets-contract';
import type { Manifests, Workload } from './workloads';

/** A container's environment as Kubernetes builds it: envFrom, then env in order, `$(VAR)` expanded. */
export interface ResolvedEnv {
  readonly env: Record<string, string>;
  /** Variables only there to be expanded into others (`$(REDIS_USER_PASSWORD)`). */
  readonly helpers: ReadonlySet<string>;
}

function secretValue(m: Manifests, name: string, key: string): string {
  const rendered = m.find<{ data?: Record<string, string> }>('Secret', name)?.data?.[key];
  if (rendered !== undefined) return Buffer.from(rendered.replace(/\s/g, ''), 'base64').toString('utf8');
  if (!secretKeys(m, name)?.includes(key)) throw new Error(`Secret ${name} has no key ${key}`);
  return placeholderSecret(name, key);
}

export function resolveEnv(m: Manifests, c: IContainer): ResolvedEnv {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    Object.assign(
      env,
      m.find<{ data?: Record<string, string> }>('ConfigMap', from.configMapRef?.name ?? '')?.data ?? {},
    );
  }
  const helpers = new Set<string>();
  for (const e of c.env ?? []) {
    let value = e.value ?? '';
    for (const [text, name = ''] of value.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)) {
      if (name in env) {
        helpers.add(name);
        value = value.replace(text, env[name] ?? '');
      }
    }
    const cm = e.valueFrom?.configMapKeyRef;
    const secret = e.valueFrom?.secretKeyRef;
    if (cm)
      value = m.find<{ data?: Record<string, string> }>('ConfigMap', cm.name ?? '')?.data?.[cm.key] ?? '';
    if (secret) value = secretValue(m, secret.name ?? '', secret.key);
    env[e.name] = value;
  }
  return { env, helpers };
}

/** The compose service contract of a workload (same names in both). */
export function contractOf(w: Workload): ServiceContract | undefined {
  return SERVICE_CONTRACTS.find((c) => c.compose === w.name);
}

/**
 * Each workload's environment against its service's own config loader (services/*\/src/config.ts): it must
 * load (every value valid, development secrets only where allowed), every variable must be one the config
 * reads (a misspelt or stale name fails here), and OTEL_SERVICE_NAME must be the service's.
 */
export function checkServiceEnv(m: Manifests): string[] {
  const problems: string[] = [];
  for (const w of m.workloads) {
    const contract = contractOf(w);
    const container = w.containers[0];
    if (!contract || !container) continue;
    const { env, helpers } = resolveEnv(m, container);
    const loaded = loadServiceEnv(contract, env);
    for (const problem of loaded.problems) {
      const helper = /^sets (\S+),/.exec(problem)?.[1];
      if (!helper || !helpers.has(helper)) problems.push(`${w.name}: ${problem}`);
    }
    if (contract.serviceName && env.OTEL_SERVICE_NAME !== contract.serviceName) {
      problems.push(`${w.name}: OTEL_SERVICE_NAME must be ${contract.serviceName}`);
    }
    if (loaded.config && contract.http) problems.push(...checkPorts(m, w, contract, loaded.config));
  }
  return problems;
}

/** The ports the config listens on are the ones the container declares, probes and announces to Prometheus. */
function checkPorts(
  m: Manifests,
  w: Workload,
  contract: ServiceContract,
  config: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  const container = w.containers[0];
  const declared = (name: string | number | undefined) =>
    container?.ports?.find((p) => p.name === name || p.containerPort === name)?.containerPort;
  const surface = Number(config[contract.http?.portKey ?? '']);
  const scraped = Number(
    m.find<{ spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }>(
      'Deployment',
      w.name,
    )?.spec?.template?.metadata?.annotations?.['prometheus.io/port'],
  );
  if (scraped !== surface)
    problems.push(`${w.name}: Prometheus scrapes port ${scraped}, ${contract.http?.portKey} is ${surface}`);
  const readiness = container?.readinessProbe?.httpGet;
  if (declared(readiness?.port) !== surface) {
    problems.push(
      `${w.name}: readiness probes port ${declared(readiness?.port)}, ${contract.http?.portKey} is ${surface}`,
    );
  }
  if (readiness?.path !== contract.http?.health) {
    problems.push(
      `${w.name}: readiness probes ${readiness?.path}, the service answers ${contract.http?.health}`,
    );
  }
  const listening = new Set([
    Number(config.PORT ?? Number.NaN),
    Number(config.ADMIN_PORT ?? Number.NaN),
    Number(config.METRICS_PORT ?? Number.NaN),
  ]);
  for (const p of container?.ports ?? []) {
    if (!listening.has(p.containerPort))
      problems.push(`${w.name}: declares port ${p.containerPort}, which its config does not listen on`);
  }
  return problems;
}

/** The Redis users each workload's URLs authenticate as (REDIS_URL, CACHE_REDIS_URL, REDIS_CLUSTER_NODES). */
export function redisUsers(m: Manifests, w: Workload): string[] {
  const container = w.containers[0];
  if (!container) return [];
  const { env } = resolveEnv(m, container);
  return ['REDIS_URL', 'CACHE_REDIS_URL', 'REDIS_CLUSTER_NODES']
    .flatMap((k) => (env[k] ?? '').split(','))
    .filter((u) => u !== '')
    .map((u) => new URL(u).username);
}
