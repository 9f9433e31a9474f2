import fs from 'node:fs';
import path from 'node:path';
import { secretKeys } from './reference-policy';
import { contractOf, redisUsers, resolveEnv } from './service-env';
import { isPinned } from './workload-policy';
import type { Manifests } from './workloads';

interface Resources {
  requests?: Record<string, unknown>;
  limits?: Record<string, unknown>;
}
interface RedisSpec {
  kubernetesConfig?: { image?: string; resources?: Resources; redisSecret?: { name?: string; key?: string } };
  redisConfig?: { additionalRedisConfig?: string };
  redisLeader?: { redisConfig?: { additionalRedisConfig?: string }; resources?: Resources };
  redisFollower?: { redisConfig?: { additionalRedisConfig?: string }; resources?: Resources };
  redisExporter?: { enabled?: boolean; image?: string; resources?: Resources };
  acl?: { secret?: { secretName?: string } };
  podSecurityContext?: { runAsNonRoot?: boolean };
}
interface PostgresSpec {
  instances?: number;
  postgresql?: { parameters?: Record<string, string> };
  imageName?: string;
  resources?: Resources;
  enableSuperuserAccess?: boolean;
  bootstrap?: { initdb?: { database?: string; owner?: string } };
}

/** The directives of a redis.conf-style text that both files set the same way must agree. */
const ROLE_DIRECTIVES = ['maxmemory-policy', 'appendonly', 'appendfsync', 'save'];

function directives(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([a-z-]+)\s+(.*)$/.exec(line.trim());
    if (match?.[1] && !line.trim().startsWith('#')) out.set(match[1], match[2] ?? '');
  }
  return out;
}

function hasResources(r: Resources | undefined): boolean {
  return ['requests', 'limits'].every((k) =>
    ['cpu', 'memory'].every(
      (res) => (r?.[k as keyof Resources] as Record<string, unknown> | undefined)?.[res] !== undefined,
    ),
  );
}

/**
 * The operators' custom resources: pinned images, requests and limits, non-root pods, the Secrets and
 * ConfigMaps they name, each Redis role's settings as infra/redis/*.conf has them, PostgreSQL without
 * network superuser access; and every workload reaching the data tier as its own Redis user and as the
 * unprivileged PostgreSQL role over verified TLS.
 */
export function checkDataTier(m: Manifests): string[] {
  const problems: string[] = [];
  const redises = [...m.of<{ spec?: RedisSpec }>('Redis'), ...m.of<{ spec?: RedisSpec }>('RedisCluster')];
  for (const r of redises) {
    const where = `${r.kind}/${r.metadata.name}`;
    const spec = r.spec ?? {};
    const role = r.metadata.labels?.['redwire.dev/redis'];
    if (role !== 'state' && role !== 'cache')
      problems.push(`${where}: label redwire.dev/redis must be state or cache`);
    for (const image of [
      spec.kubernetesConfig?.image,
      spec.redisExporter?.enabled ? spec.redisExporter.image : 'x:1',
    ]) {
      if (!isPinned(image)) problems.push(`${where}: image ${image} is not pinned`);
    }
    if (!hasResources(spec.kubernetesConfig?.resources))
      problems.push(`${where}: kubernetesConfig.resources needs cpu and memory requests and limits`);
    if (spec.redisExporter?.enabled && !hasResources(spec.redisExporter.resources))
      problems.push(`${where}: redisExporter.resources incomplete`);
    if (spec.podSecurityContext?.runAsNonRoot !== true)
      problems.push(`${where}: podSecurityContext.runAsNonRoot must be true`);
    const admin = spec.kubernetesConfig?.redisSecret;
    if (!admin?.name || !admin.key || !secretKeys(m, admin.name)?.includes(admin.key)) {
      problems.push(`${where}: redisSecret ${admin?.name}/${admin?.key} does not exist`);
    }
    const acl = spec.acl?.secret?.secretName;
    if (!acl || !secretKeys(m, acl)?.includes('user.acl'))
      problems.push(`${where}: ACL Secret ${acl} with user.acl does not exist`);
    const configNames = new Set(
      [spec.redisConfig, spec.redisLeader?.redisConfig, spec.redisFollower?.redisConfig]
        .map((c) => c?.additionalRedisConfig)
        .filter((n): n is string => n !== undefined),
    );
    if (configNames.size === 0) problems.push(`${where}: no additionalRedisConfig (its role settings)`);
    for (const name of configNames) {
      const text = m.find<{ data?: Record<string, string> }>('ConfigMap', name)?.data?.[
        'redis-additional.conf'
      ];
      if (text === undefined) {
        problems.push(`${where}: ConfigMap ${name} with redis-additional.conf does not exist`);
        continue;
      }
      const reference = directives(
        fs.readFileSync(path.resolve(__dirname, `../../../redis/redis-${role}.conf`), 'utf8'),
      );
      const own = directives(text);
      for (const key of ROLE_DIRECTIVES) {
        if (own.get(key) !== reference.get(key)) {
          problems.push(
            `${where}: ${key} is ${own.get(key)}, infra/redis/redis-${role}.conf has ${reference.get(key)}`,
          );
        }
      }
    }
  }
  for (const pg of m.of<{ spec?: PostgresSpec }>('Cluster')) {
    const where = `Cluster/${pg.metadata.name}`;
    if (!isPinned(pg.spec?.imageName))
      problems.push(`${where}: imageName ${pg.spec?.imageName} is not pinned`);
    if (!hasResources(pg.spec?.resources))
      problems.push(`${where}: resources need cpu and memory requests and limits`);
    if (pg.spec?.enableSuperuserAccess !== false)
      problems.push(`${where}: enableSuperuserAccess must be false`);
    const initdb = pg.spec?.bootstrap?.initdb;
    if (initdb?.database !== 'redwire' || initdb.owner !== 'redwire')
      problems.push(`${where}: initdb must create database redwire owned by redwire`);
  }
  problems.push(...checkConnectionBudget(m));
  for (const w of m.workloads) {
    const contract = contractOf(w);
    const container = w.containers[0];
    if (!contract || !container) continue;
    for (const user of redisUsers(m, w)) {
      if (user !== contract.redisUser)
        problems.push(`${w.name}: authenticates to Redis as "${user}", not ${contract.redisUser}`);
    }
    const url = resolveEnv(m, container).env.DATABASE_URL;
    if (url) {
      const db = new URL(url);
      if (db.username !== 'redwire' || db.hostname !== 'redwire-postgres-rw')
        problems.push(`${w.name}: DATABASE_URL must be redwire@redwire-postgres-rw`);
      if (db.searchParams.get('sslmode') !== 'verify-full')
        problems.push(`${w.name}: DATABASE_URL must verify the server (sslmode=verify-full)`);
    }
  }
  return problems;
}

/** Connections CloudNativePG's own processes hold (replication, instance manager, metrics) and superuser reserve. */
const POSTGRES_OWN_CONNECTIONS = 10;

/**
 * Every pod at its HPA's maximum, each with a full pool (DB_POOL_MAX, the services' default 10), must fit
 * in max_connections: past it, new connections fail instead of queueing in the pools.
 */
function checkConnectionBudget(m: Manifests): string[] {
  const pg = m.of<{ spec?: PostgresSpec }>('Cluster')[0];
  if (!pg) return [];
  const max = Number(pg.spec?.postgresql?.parameters?.max_connections ?? 100);
  let pools = 0;
  const terms: string[] = [];
  for (const w of m.workloads) {
    const container = w.containers[0];
    if (w.kind !== 'Deployment' || !container) continue;
    const env = resolveEnv(m, container).env;
    if (!env.DATABASE_URL) continue;
    const pool = Number(env.DB_POOL_MAX ?? 10);
    const replicas =
      m.autoscalers.find((h) => h.spec?.scaleTargetRef.name === w.name)?.spec?.maxReplicas ?? 1;
    pools += pool * replicas;
    terms.push(`${replicas} ${w.name} × ${pool}`);
  }
  if (pools > max - POSTGRES_OWN_CONNECTIONS) {
    return [
      `Cluster/${pg.metadata.name}: the HPAs' maxima open ${pools} pool connections (${terms.join(' + ')}), ` +
        `max_connections ${max} leaves ${max - POSTGRES_OWN_CONNECTIONS}`,
    ];
  }
  return [];
}
