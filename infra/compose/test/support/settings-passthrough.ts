import { ConfigError, type Env } from '@redwire/config';
import { parse } from 'yaml';
import { environmentOf, interpolate, loadCompose } from './compose-model';
import { readRepoFile } from './repo';
import type { ServiceContract } from './service-contracts';

/**
 * Settings a service reads that compose sets itself, each with the reason a `.env` value must not
 * change it there. Every other setting is passed through from `.env`.
 */
export const FIXED_SETTINGS: Readonly<Record<string, string>> = {
  HOST: 'a container listens on 0.0.0.0, so the backend network and Prometheus reach it',
  PORT: 'the healthchecks, Prometheus, the published ports and the *_SERVICE_URLs are tied to it',
  ADMIN_PORT:
    'the gateway’s healthcheck and Prometheus (the queue dashboard’s published port) are tied to it',
  ADMIN_HOST: 'the queue dashboard’s container must listen where its published port arrives',
  METRICS_PORT: 'the worker’s healthcheck and Prometheus are tied to it',
  DATABASE_URL: 'compose builds it from REDWIRE_DB_PASSWORD and its own host name',
  REDIS_URL: 'compose builds it from the service’s ACL user and password and its own host name',
  CACHE_REDIS_URL: 'as REDIS_URL, for the cache Redis',
  USER_SERVICE_URL: 'compose’s service name and port',
  AUTH_SERVICE_URL: 'compose’s service name and port',
  REDIS_NAMESPACE: 'must stay unset: the ACL files’ key patterns assume no namespace',
  REDIS_CLUSTER_NODES: 'compose runs one Redis per role, not a cluster',
};

/** The `.env` prefix of a compose service's own settings: `user-worker` → `USER_WORKER`. */
export function settingPrefix(compose: string): string {
  return compose.toUpperCase().replaceAll('-', '_');
}

const CONFIG_SOURCES = [
  'services/gateway/src/config.ts',
  'services/user/src/config.ts',
  'services/auth/src/config.ts',
  'shared/config/src/production-guard.ts',
];

/** Every upper-case key a config schema names (`  NAME: ...`), the candidates a loader may read. */
function candidateKeys(): string[] {
  const keys = CONFIG_SOURCES.flatMap((file) =>
    [...readRepoFile(file).matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1] as string),
  );
  return [...new Set([...keys, 'ALLOW_DEV_SECRETS'])];
}

/** Whether `load` reads `key`: given a junk value, it either keeps it or rejects that very key. */
function readsKey(load: (env: Env) => object, env: Record<string, string>, key: string): boolean {
  try {
    return key in load({ ...env, [key]: 'x-probe' });
  } catch (error) {
    return error instanceof ConfigError && error.issues.some((issue) => issue.key === key);
  }
}

/** The settings a contract's config loader reads, found by probing its loader with every candidate. */
export function settingsRead(contract: ServiceContract, env: Record<string, string>): string[] {
  const loaded = Object.keys(contract.load(env));
  const probed = candidateKeys().filter((key) => readsKey(contract.load, env, key));
  return [...new Set([...loaded, ...probed])].sort();
}

/**
 * Checks that every setting each service's config reads can be set from `.env`: its compose environment
 * entry references a variable, and a value given to that variable arrives in the service's environment.
 * Fixed settings are exempt (FIXED_SETTINGS says why); a pass-through variable is `<PREFIX>_<NAME>` or,
 * for a setting every service shares, `<NAME>`.
 */
export function checkSettingsReachable(
  composeText: string,
  env: Readonly<Record<string, string>>,
  contracts: readonly ServiceContract[],
): string[] {
  const problems: string[] = [];
  const raw = parse(composeText, { merge: true }) as {
    services: Record<string, { environment?: Record<string, unknown> }>;
  };
  const interpolated = loadCompose(composeText, env).value;
  for (const contract of contracts) {
    const where = contract.compose;
    const rawEnv = raw.services[where]?.environment ?? {};
    const serviceEnv = environmentOf(interpolated.services[where] ?? {});
    for (const key of settingsRead(contract, serviceEnv)) {
      if (key in FIXED_SETTINGS) continue;
      const value = rawEnv[key];
      if (typeof value !== 'string') {
        problems.push(`${where}: ${key} cannot be set from .env`);
        continue;
      }
      const variable = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(value)?.[1];
      if (!variable) {
        problems.push(`${where}: ${key} is fixed to "${value}" and not in FIXED_SETTINGS`);
        continue;
      }
      if (variable !== `${settingPrefix(where)}_${key}` && variable !== key) {
        problems.push(
          `${where}: ${key} comes from ${variable}, not ${settingPrefix(where)}_${key} or ${key}`,
        );
      }
      const sentinel = `set-from-env-${key.toLowerCase()}`;
      const reached = interpolate(value, { ...env, [variable]: sentinel }, []);
      if (!reached.includes(sentinel)) problems.push(`${where}: ${variable} in .env does not reach ${key}`);
    }
  }
  return problems;
}
