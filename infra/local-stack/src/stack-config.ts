import os from 'node:os';
import path from 'node:path';

/** How the state Redis runs: one server, or a Redis Cluster of 3 masters with 1 replica each. */
export type RedisTopology = 'single' | 'cluster';

/** What `npm start` runs, read once from the environment. Every port can be moved so the stack never collides. */
export interface StackConfig {
  /**
   * The state Redis (sessions, limits, streams, BullMQ): noeviction, AOF when `dataDir` is set. With the
   * cluster topology, the port of its first master (the others take free ports).
   */
  readonly redisPort: number;
  /** REDWIRE_REDIS_TOPOLOGY: `single` (default) or `cluster` (the state role as 3 masters + 3 replicas). */
  readonly redisTopology: RedisTopology;
  /**
   * REDWIRE_INSTANCES: how many of each service (gateway, user, auth, user worker) run, 1 to 16. The first
   * instance keeps the configured ports; the others take free ports (the ready line's `gateways=`).
   */
  readonly instances: number;
  /** The cache Redis (user profiles): allkeys-lru, never persisted. */
  readonly cacheRedisPort: number;
  readonly postgresPort: number;
  readonly gatewayPort: number;
  readonly gatewayAdminPort: number;
  readonly userPort: number;
  readonly authPort: number;
  /** The user worker's /healthz + /metrics port. */
  readonly workerMetricsPort: number;
  /** Keep Redis and PostgreSQL data here across runs; ephemeral (a temp folder removed on exit) when unset. */
  readonly dataDir: string | undefined;
  /**
   * The admin account the runner creates with a random password (printed once); empty: none. No address is
   * admin because it registered: the runner creates the account itself before it reports ready.
   */
  readonly adminEmail: string;
  /**
   * The environment the runner was started with (its set variables): passed on to every service, except
   * the settings the runner owns (see `service-environment.ts` and the README's table).
   */
  readonly env: Readonly<Record<string, string>>;
}

/** Every port variable of the local stack: a tool that starts its own stack sets each of them. */
export const STACK_PORT_VARIABLES = [
  'REDWIRE_REDIS_PORT',
  'REDWIRE_CACHE_REDIS_PORT',
  'REDWIRE_POSTGRES_PORT',
  'REDWIRE_GATEWAY_PORT',
  'REDWIRE_GATEWAY_ADMIN_PORT',
  'REDWIRE_USER_PORT',
  'REDWIRE_AUTH_PORT',
  'REDWIRE_WORKER_METRICS_PORT',
] as const;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    problems.push(`${name} must be a port (1-65535), got "${raw}"`);
  return value;
}

function topology(raw: string | undefined, problems: string[]): RedisTopology {
  if (raw === undefined || raw === '' || raw === 'single') return 'single';
  if (raw === 'cluster') return 'cluster';
  problems.push(`REDWIRE_REDIS_TOPOLOGY must be single or cluster, got "${raw}"`);
  return 'single';
}

function instances(raw: string | undefined, problems: string[]): number {
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 16) {
    problems.push(`REDWIRE_INSTANCES must be a whole number from 1 to 16, got "${raw}"`);
    return 1;
  }
  return value;
}

export function readStackConfig(env: NodeJS.ProcessEnv): StackConfig {
  const problems: string[] = [];
  const config: StackConfig = {
    redisPort: port(env, 'REDWIRE_REDIS_PORT', 6390, problems),
    redisTopology: topology(env.REDWIRE_REDIS_TOPOLOGY, problems),
    instances: instances(env.REDWIRE_INSTANCES, problems),
    cacheRedisPort: port(env, 'REDWIRE_CACHE_REDIS_PORT', 6391, problems),
    postgresPort: port(env, 'REDWIRE_POSTGRES_PORT', 5433, problems),
    gatewayPort: port(env, 'REDWIRE_GATEWAY_PORT', 8080, problems),
    gatewayAdminPort: port(env, 'REDWIRE_GATEWAY_ADMIN_PORT', 9080, problems),
    userPort: port(env, 'REDWIRE_USER_PORT', 8081, problems),
    authPort: port(env, 'REDWIRE_AUTH_PORT', 8082, problems),
    workerMetricsPort: port(env, 'REDWIRE_WORKER_METRICS_PORT', Number(env.METRICS_PORT) || 9091, problems),
    dataDir: env.REDWIRE_DATA_DIR ? path.resolve(env.REDWIRE_DATA_DIR) : undefined,
    adminEmail: env.REDWIRE_ADMIN_EMAIL ?? 'admin@redwire.local',
    env: Object.freeze(
      Object.fromEntries(
        Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
    ),
  };
  // A cluster node also listens on its bus port, +10000, which must stay a port.
  if (config.redisTopology === 'cluster' && config.redisPort > 55535)
    problems.push(
      `REDWIRE_REDIS_PORT must be at most 55535 with the cluster topology (its bus port is +10000)`,
    );
  const byPort = new Map<number, string[]>();
  for (const { variable, port } of stackPorts(config))
    byPort.set(port, [...(byPort.get(port) ?? []), variable]);
  for (const [port, variables] of byPort) {
    if (variables.length > 1)
      problems.push(`${variables.join(' and ')} are all ${port}: give each its own port`);
  }
  if (problems.length > 0) throw new Error(`invalid local stack configuration:\n  ${problems.join('\n  ')}`);
  return config;
}

/** Every port the stack listens on, with the variable that moves it. */
export function stackPorts(
  config: StackConfig,
): { variable: (typeof STACK_PORT_VARIABLES)[number]; port: number }[] {
  return [
    { variable: 'REDWIRE_REDIS_PORT', port: config.redisPort },
    { variable: 'REDWIRE_CACHE_REDIS_PORT', port: config.cacheRedisPort },
    { variable: 'REDWIRE_POSTGRES_PORT', port: config.postgresPort },
    { variable: 'REDWIRE_GATEWAY_PORT', port: config.gatewayPort },
    { variable: 'REDWIRE_GATEWAY_ADMIN_PORT', port: config.gatewayAdminPort },
    { variable: 'REDWIRE_USER_PORT', port: config.userPort },
    { variable: 'REDWIRE_AUTH_PORT', port: config.authPort },
    { variable: 'REDWIRE_WORKER_METRICS_PORT', port: config.workerMetricsPort },
  ];
}

/** Where ephemeral data goes: under the system temp dir, which the `postgres` user can traverse (root's home cannot). */
export function ephemeralRoot(): string {
  return os.tmpdir();
}
