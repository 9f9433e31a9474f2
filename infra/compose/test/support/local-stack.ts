import fs from 'node:fs';
import { freePort, startNodeService } from '@redwire/launchers';
import { repoPath } from './repo';

const RUNNER = repoPath('infra/local-stack/dist/main.js');

/** Ports of a running local stack, by what compose calls them. */
export interface StackPorts {
  /** The state Redis. */
  readonly redis: number;
  /** The cache Redis (user profiles). */
  readonly cacheRedis: number;
  readonly postgres: number;
  readonly gateway: number;
  /** The gateway's ADMIN_PORT (/readyz, /metrics). */
  readonly gatewayAdmin: number;
  readonly user: number;
  readonly auth: number;
  /** The worker's METRICS_PORT (/healthz, /metrics). */
  readonly workerMetrics: number;
}

/** `npm start` as a user runs it (the compiled runner), on free ports. */
export interface RunningStack {
  readonly ports: StackPorts;
  readonly gatewayUrl: string;
  /** Every stdout line so far: the services' log lines, each prefixed with `[<service>] `. */
  readonly lines: readonly string[];
  /** SIGINT, as Ctrl-C; resolves with the runner's exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the runner with every port moved to a free one and `env` added (OTEL_* reach the services), and
 * resolves once it prints its ready line.
 */
export async function startLocalStack(env: Readonly<Record<string, string>> = {}): Promise<RunningStack> {
  if (!fs.existsSync(RUNNER))
    throw new Error('run `npm run build` first: the runner and the services are compiled');
  const ports: StackPorts = {
    redis: await freePort(),
    cacheRedis: await freePort(),
    postgres: await freePort(),
    gateway: await freePort(),
    gatewayAdmin: await freePort(),
    user: await freePort(),
    auth: await freePort(),
    workerMetrics: await freePort(),
  };
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    REDWIRE_REDIS_PORT: String(ports.redis),
    REDWIRE_CACHE_REDIS_PORT: String(ports.cacheRedis),
    REDWIRE_POSTGRES_PORT: String(ports.postgres),
    REDWIRE_GATEWAY_PORT: String(ports.gateway),
    REDWIRE_GATEWAY_ADMIN_PORT: String(ports.gatewayAdmin),
    REDWIRE_USER_PORT: String(ports.user),
    REDWIRE_AUTH_PORT: String(ports.auth),
    // The runner passes its environment on; only the worker reads METRICS_PORT (default 9091).
    METRICS_PORT: String(ports.workerMetrics),
    // Generous deadlines: these tests check wiring, not latency, on a CI box that may be saturated.
    REDIS_COMMAND_TIMEOUT: '2000',
    RATE_LIMIT_DEADLINE: '2000',
    SESSION_CHECK_DEADLINE: '2000',
    ...env,
  };
  delete childEnv.REDWIRE_DATA_DIR;
  const lines: string[] = [];
  const runner = await startNodeService({
    name: 'npm start',
    entry: RUNNER,
    env: childEnv,
    onLine: (line, stream) => {
      if (stream === 'stdout') lines.push(line);
    },
    readyLine: /^redwire ready:/,
    readyTimeoutMs: 120_000,
    graceMs: 30_000,
  });
  return {
    ports,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    lines,
    async stop() {
      await runner.stop('SIGINT');
      return (await runner.exited).code;
    },
  };
}

/** A signed-in user made through the gateway's public API. */
export interface ApiUser {
  readonly id: string;
  readonly email: string;
  readonly token: string;
}

/** Registers and logs in a fresh user through the gateway (bearer token, so no CSRF check applies). */
export async function registerAndLogin(gatewayUrl: string, label: string): Promise<ApiUser> {
  const email = `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const password = 'correct-horse-battery-staple';
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${gatewayUrl}/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password, name: 'Trace Tester' }),
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
  const { user } = (await registered.json()) as { user: { id: string } };
  const login = await fetch(`${gatewayUrl}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email, password }),
  });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  return { id: user.id, email, token };
}
