import { IdentitySigner, type RunningHttpServer, serviceIdentity, startHttpServer } from '@redwire/http-kit';
import { pingRedis, pollUntil } from '@redwire/launchers';
import { createLogger } from '@redwire/observability';
import { uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { v7 as uuidv7 } from 'uuid';
import { loadServiceConfig, loadWorkerConfig, type ServiceConfig, type WorkerConfig } from '../../src/config';
import { runMigrations } from '../../src/db/migrator';
import { createUserRuntime, type UserRuntime, type UserRuntimeOverrides } from '../../src/user.runtime';
import { createWorkerRuntime, type WorkerRuntime } from '../../src/worker.runtime';

export const SIGNING_KEY = 'test-identity-signing-key-0123456789abcdef';

/** A migrated database of its own for one test file. */
export async function migratedDatabase() {
  const db = await freshDatabase();
  await runMigrations({ databaseUrl: db.url });
  return db;
}

/** Service config as main.ts would load it from the environment, plus test overrides. */
export function testConfig(env: Record<string, string>): ServiceConfig {
  return loadServiceConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    IDENTITY_SIGNING_KEY: SIGNING_KEY,
    REDIS_URL: sharedServers().redisUrl,
    // The shared Redis serves every engineer's tests on 2 cores: tests that are about timeouts set their own.
    REDIS_COMMAND_TIMEOUT: '1000',
    // Tests about the request deadline set their own; the others must not trip it on a loaded box.
    REQUEST_BUDGET: '10s',
    ...env,
  });
}

/** One running instance of the user service on a free port. */
export interface UserInstance {
  readonly runtime: UserRuntime;
  readonly server: RunningHttpServer;
  readonly url: string;
  close(): Promise<void>;
}

/** Builds and starts an instance exactly as main.ts does, and waits until its cache is usable. */
export async function startInstance(
  config: ServiceConfig,
  overrides: UserRuntimeOverrides = {},
): Promise<UserInstance> {
  const runtime = createUserRuntime(config, {
    logger: createLogger({ service: 'redwire-user', level: 'silent' }),
    ...overrides,
  });
  await runtime.start();
  try {
    await runtime.cache.ready(30_000);
  } catch (error) {
    // Say why: is the cache Redis answering at all, and what does the gate think?
    const url = new URL(config.CACHE_REDIS_URL ?? config.REDIS_URL ?? '');
    const up = await pingRedis(Number(url.port));
    await runtime.close();
    throw new Error(
      `${(error as Error).message}: gate ${runtime.cache.state}, redis on port ${url.port} answers PING: ${up}`,
    );
  }
  const server = await startHttpServer(runtime.app, { port: 0 });
  return {
    runtime,
    server,
    url: server.url,
    async close() {
      await server.close(1000);
      await runtime.close();
    },
  };
}

/** One instance on a migrated database of its own, for one test file; `close()` removes both. */
export async function standaloneInstance(env: Record<string, string> = {}) {
  const db = await migratedDatabase();
  const instance = await startInstance(
    testConfig({ DATABASE_URL: db.url, REDIS_NAMESPACE: namespace(), ...env }),
  );
  return {
    db,
    instance,
    url: instance.url,
    async close() {
      await instance.close();
      await db.drop();
    },
  };
}

const signer = new IdentitySigner({ key: SIGNING_KEY });

/** Headers of a request made by user `sub` (through the gateway). */
export async function asUser(sub: string, role: 'user' | 'admin' = 'user'): Promise<Record<string, string>> {
  const token = await signer.sign({ sub, role, tier: 'free', sid: 'test-session' }, 'user');
  return { 'x-redwire-identity': token };
}

/** Headers of a request made by the auth service. */
export async function asAuthService(): Promise<Record<string, string>> {
  return { 'x-redwire-identity': await signer.sign(serviceIdentity('auth'), 'user') };
}

/** Creates a user through the internal API and returns its id. */
export async function createUser(url: string, name = 'Ada'): Promise<string> {
  const id = uuidv7();
  const res = await fetch(`${url}/internal/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await asAuthService()) },
    body: JSON.stringify({ id, email: `${id}@example.com`, name }),
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return id;
}

/** A fresh Redis key namespace. */
export const namespace = () => uniquePrefix('u');

/** Worker config as worker.ts would load it, plus test overrides. */
export function testWorkerConfig(env: Record<string, string>): WorkerConfig {
  return loadWorkerConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: sharedServers().redisUrl,
    METRICS_PORT: '0',
    ...env,
  });
}

/** Builds and starts the worker exactly as worker.ts does (without its metrics listener). */
export async function startWorker(config: WorkerConfig): Promise<WorkerRuntime> {
  const runtime = createWorkerRuntime(config, {
    logger: createLogger({ service: 'redwire-user-worker', level: 'silent' }),
  });
  await runtime.start();
  return runtime;
}

/** Polls `probe` every 5 ms until it returns true; resolves with the time it took, or throws at the deadline. */
export async function waitFor(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const started = performance.now();
  await pollUntil(probe, { what, timeoutMs, intervalMs: 5 });
  return performance.now() - started;
}

/** Sum of a counter's series in a registry, optionally filtered by labels. */
export async function counterValue(
  runtime: { metrics: { registry: import('prom-client').Registry } },
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await runtime.metrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

/** A promise with its resolver, to pause code under test at a chosen point. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A response's JSON body as a plain record (fetch types it `unknown`). */
export async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The value of one sample in a Prometheus text exposition: the series of `name` whose labels include
 * `labels` (others, such as the default `service`, may be present). NaN for `Nan`; undefined when absent.
 */
export function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}
