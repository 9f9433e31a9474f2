import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  MissingBinaryError,
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
} from '@redwire/testing';
import { ensureAppDatabase } from './database';
import { createLocalAdmin } from './local-admin';
import { waitForReady } from './readiness';
import { ServiceProcess, type ServiceSpec } from './service-process';
import { readStackConfig, type StackConfig } from './stack-config';

const repoRoot = path.resolve(__dirname, '../../..');
const APP_ROLE = 'redwire';
const APP_DATABASE = 'redwire';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);
const relay = (line: string) => process.stdout.write(`${line}\n`);

function serviceSpecs(config: StackConfig, redisUrl: string, databaseUrl: string): ServiceSpec[] {
  const common = {
    NODE_ENV: 'development',
    // The runner is development by definition: its key is the public one of .env.example.
    ALLOW_DEV_SECRETS: 'true',
    HOST: '127.0.0.1',
    LOG_LEVEL: config.logLevel,
    REDIS_URL: redisUrl,
    CACHE_REDIS_URL: redisUrl,
    IDENTITY_SIGNING_KEY: config.identitySigningKey,
    ...config.otelEnv,
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
        OTEL_SERVICE_NAME: 'redwire-gateway',
      },
      readyUrl: `http://127.0.0.1:${config.gatewayAdminPort}/readyz`,
    },
  ];
  return specs.filter((spec) => fs.existsSync(spec.entry));
}

/** Runs each service's migration entry point (`dist/migrate.js`), when it has one, before anything starts. */
function runMigrations(databaseUrl: string): void {
  for (const service of ['user', 'auth']) {
    const entry = path.join(repoRoot, `services/${service}/dist/migrate.js`);
    if (!fs.existsSync(entry)) continue;
    log(`migrating ${service}`);
    const result = spawnSync(process.execPath, [entry], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 60000,
    });
    if (result.status !== 0) throw new Error(`migrations of ${service} failed (exit ${result.status})`);
  }
}

async function main(): Promise<void> {
  const config = readStackConfig(process.env);
  const preload = path.join(repoRoot, 'shared/observability/dist/preload.js');
  const services: ServiceProcess[] = [];
  let redis: RedisServer | undefined;
  let postgres: PostgresServer | undefined;
  let stopping: Promise<void> | undefined;

  const shutdown = (code: number) => {
    stopping ??= (async () => {
      log('stopping');
      await Promise.all(services.map((s) => s.stop(10000)));
      await redis?.stop();
      await postgres?.stop({ remove: config.dataDir === undefined });
      log('stopped');
      process.exit(code);
    })();
    return stopping;
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    const redisDir = config.dataDir ? path.join(config.dataDir, 'redis') : undefined;
    const pgDir = config.dataDir ? path.join(config.dataDir, 'postgres') : undefined;
    [redis, postgres] = await Promise.all([
      startRedisServer({ port: config.redisPort, ...(redisDir ? { dataDir: redisDir } : {}) }),
      startPostgresServer({ port: config.postgresPort, ...(pgDir ? { dataDir: pgDir, durable: true } : {}) }),
    ]);
    log(
      `redis on ${redis.url}, postgres on port ${postgres.port}${config.dataDir ? ` (data in ${config.dataDir})` : ' (ephemeral)'}`,
    );
    await ensureAppDatabase(postgres.adminUrl, APP_ROLE, APP_DATABASE);
    const databaseUrl = postgres.urlFor(APP_DATABASE, APP_ROLE);
    runMigrations(databaseUrl);

    const specs = serviceSpecs(config, redis.url, databaseUrl);
    specs.forEach((spec, i) => {
      services.push(new ServiceProcess(spec, fs.existsSync(preload) ? preload : undefined, i, relay));
    });
    let died: string | undefined;
    for (const service of services) {
      void service.exited.then((code) => {
        if (stopping) return;
        died = `${service.spec.name} exited with code ${code}`;
        log(`${died}; stopping the stack`);
        void shutdown(1);
      });
    }
    await waitForReady(
      specs.flatMap((s) => (s.readyUrl ? [s.readyUrl] : [])),
      60000,
      () => died,
    );
    const auth = specs.find((s) => s.name === 'auth');
    if (auth && config.adminEmail !== '') {
      await createLocalAdmin(
        path.join(repoRoot, 'services/auth/dist/admin.js'),
        config.adminEmail,
        auth.env,
        log,
      );
    }
    process.stdout.write(
      `redwire ready: gateway=http://127.0.0.1:${config.gatewayPort} redis=${redis.url} ` +
        `postgres=postgres://${APP_ROLE}@127.0.0.1:${config.postgresPort}/${APP_DATABASE}\n`,
    );
  } catch (error) {
    if (stopping) return;
    if (error instanceof MissingBinaryError) log(error.message);
    else log(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
    await shutdown(1);
  }
}

void main();
