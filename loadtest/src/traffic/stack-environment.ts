import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freeClusterPort, freePort } from '@redwire/launchers';
import { type GatewayPorts, STACK_PORT_VARIABLES } from '@redwire/local-stack';
import { Redis } from 'ioredis';
import pg from 'pg';

async function portFrom(env: NodeJS.ProcessEnv, name: string, pair = false): Promise<number> {
  const raw = env[name];
  if (raw) return Number(raw);
  // A cluster node's bus port (+10000) must be free and still a port.
  return pair ? freeClusterPort() : freePort();
}

/**
 * The environment a harness (chaos, soak) runs the local stack with: every port from REDWIRE_*_PORT or a
 * free one (never npm start's defaults, which a developer's own stack may hold), data kept in `dataDir`
 * (the state Redis with its append-only file), services logging at `warn` unless LOG_LEVEL says otherwise,
 * no admin account unless REDWIRE_ADMIN_EMAIL names one;
 * and the ports of `extraGateways` more gateways (REDWIRE_GATEWAY<n>_PORT / REDWIRE_GATEWAY<n>_ADMIN_PORT
 * for n = 2, 3, …, else free ones); with `topology` cluster, the state role on a Redis Cluster.
 */
export async function stackEnvironment(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  extraGateways = 0,
  topology: 'single' | 'cluster' = 'single',
): Promise<{ env: NodeJS.ProcessEnv; extraGateways: GatewayPorts[] }> {
  const out: NodeJS.ProcessEnv = {
    ...env,
    REDWIRE_REDIS_TOPOLOGY: topology,
    REDWIRE_DATA_DIR: dataDir,
    LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
    // No admin account: the load needs none, and its creation would hash a password for nothing.
    REDWIRE_ADMIN_EMAIL: env.REDWIRE_ADMIN_EMAIL ?? '',
  };
  for (const name of STACK_PORT_VARIABLES)
    out[name] = String(await portFrom(env, name, topology === 'cluster' && name === 'REDWIRE_REDIS_PORT'));
  const gateways: GatewayPorts[] = [];
  for (let n = 2; n < extraGateways + 2; n++) {
    gateways.push({
      port: await portFrom(env, `REDWIRE_GATEWAY${n}_PORT`),
      adminPort: await portFrom(env, `REDWIRE_GATEWAY${n}_ADMIN_PORT`),
    });
  }
  return { env: out, extraGateways: gateways };
}

/** The Redis and PostgreSQL versions the stack runs, for a report. */
export async function serverVersions(urls: {
  redis: string;
  database: string;
}): Promise<{ redis: string; postgres: string }> {
  const redis = new Redis(urls.redis, { lazyConnect: true });
  const db = new pg.Client({ connectionString: urls.database });
  try {
    await redis.connect();
    await db.connect();
    return {
      redis: /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? 'unknown',
      postgres:
        (await db.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ??
        'unknown',
    };
  } finally {
    redis.disconnect();
    await db.end();
  }
}

/**
 * Where a harness run keeps its stack's data and log: `dataDir` if given (kept), else a fresh folder under
 * the system temp dir (`owned`: remove it afterwards); the services' log file next to it.
 */
export function runFiles(
  tool: string,
  startedAt: Date,
  dataDir?: string,
): { dataDir: string; owned: boolean; logFile: string } {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `redwire-${tool}-`));
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to traverse the folder.
  fs.chmodSync(dir, 0o755);
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  return {
    dataDir: dir,
    owned: dataDir === undefined,
    logFile: path.join(os.tmpdir(), `redwire-${tool}-${stamp}.log`),
  };
}
