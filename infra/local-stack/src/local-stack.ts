import fs from 'node:fs';
import path from 'node:path';
import {
  freePort,
  isPortFree,
  type PostgresServer,
  type RedisCluster,
  type RedisServer,
  startNodeService,
  startPostgresServer,
  startRedisCluster,
  startRedisServer,
  waitForReady,
} from '@redwire/launchers';
import { ensureAppDatabase } from './database';
import { createLocalAdmin } from './local-admin';
import { serviceEnvironment, settingNotices } from './service-environment';
import {
  type GatewayPorts,
  type InstancePorts,
  runMigrations,
  type ServiceSpec,
  STACK_PROCESS,
  type StateRedis,
  serviceSpecs,
  withGatewayReplicas,
  withInstances,
} from './service-specs';
import { type StackConfig, stackPorts } from './stack-config';
import { type SupervisedChild, Supervisor, type SupervisorEvent, type SupervisorOptions } from './supervisor';

const repoRoot = path.resolve(__dirname, '../../..');
const APP_ROLE = 'redwire';
const APP_DATABASE = 'redwire';

/** The cache Redis as compose runs it (infra/redis/redis-cache.conf): evictable, never persisted. */
const CACHE_MAXMEMORY = '128mb';

/**
 * The state role with REDWIRE_REDIS_TOPOLOGY=cluster: 3 masters with 1 replica each, an append-only file per
 * node so a node the supervisor restarts keeps its data, and a 5 s node timeout before a replica takes over.
 */
const STATE_CLUSTER = { masters: 3, replicasPerMaster: 1, appendOnly: true, nodeTimeoutMs: 5000 } as const;

/** Options of {@link LocalStack}. */
export interface LocalStackOptions {
  /** The runner's own messages (start-up, restarts). @default stderr, prefixed `[stack] ` */
  readonly log?: (line: string) => void;
  /** Every line a service writes, prefixed `[<name>] `. @default stdout */
  readonly relay?: (line: string) => void;
  /**
   * More gateway instances sharing the traffic (named `gateway-2`, …); every gateway then gets
   * RATE_LIMIT_INSTANCES = the number of gateways, so the `local` failure mode splits each policy.
   * @default none
   */
  readonly extraGateways?: readonly GatewayPorts[];
  /**
   * Added to every service's environment, over the stack's own values (a tool's explicit choice: unlike
   * the environment's, these are not announced). @default none
   */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  /**
   * Added to one service's environment, by process name, over everything else (e.g. a fault injector
   * routing `gateway-2`'s REDIS_URL through a proxy it can partition). @default none
   */
  readonly serviceEnvFor?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** The restart policy (back-off, give-up window) and an event listener. @default the Supervisor's */
  readonly supervisor?: Omit<SupervisorOptions, 'onGiveUp'>;
  /** The supervisor gave up on a crash loop: stop the stack. @default log it */
  readonly onGiveUp?: (message: string) => void;
  /** How long start-up may take until every /readyz answers. @default 60000 */
  readonly readyTimeoutMs?: number;
}

/** Where the running stack listens. */
export interface StackUrls {
  /** Every gateway's public URL, the configured one first. */
  readonly gateways: readonly string[];
  /** Every gateway's admin URL (/readyz, /metrics), in the same order. */
  readonly gatewayAdmins: readonly string[];
  /** The state Redis (noeviction; AOF with REDWIRE_DATA_DIR); with the cluster topology, its first master. */
  readonly redis: string;
  /** With the cluster topology: every node of the state cluster (`127.0.0.1:port`), masters first. */
  readonly redisClusterNodes?: readonly string[];
  /** The cache Redis (allkeys-lru, no persistence). */
  readonly cacheRedis: string;
  /** The services' database, as the services connect. */
  readonly database: string;
  /** PostgreSQL's superuser connection (for inspection). */
  readonly postgresAdmin: string;
}

/** Thrown when the stack cannot start as configured (a port in use); main.ts prints the message alone. */
export class StackRefusal extends Error {
  override name = 'StackRefusal';
}

const COLORS = [36, 35, 33, 32, 34, 31];

/**
 * A service as the supervisor runs it: a fresh `node` process per start, its lines relayed with a
 * `[name]` prefix (coloured on a terminal). Readiness is polled for all services at once, not here.
 */
function serviceChild(
  spec: ServiceSpec,
  preload: string | undefined,
  colorIndex: number,
  relay: (line: string) => void,
): SupervisedChild {
  const color = COLORS[colorIndex % COLORS.length] ?? 36;
  const prefix = process.stdout.isTTY === true ? `\x1b[${color}m[${spec.name}]\x1b[0m ` : `[${spec.name}] `;
  return {
    name: spec.name,
    async start() {
      const service = await startNodeService({
        name: spec.name,
        entry: spec.entry,
        env: spec.env,
        ...(preload ? { preload: [preload] } : {}),
        onLine: (line) => relay(prefix + line),
        graceMs: 10000,
      });
      return { pid: service.pid, exited: service.exited, stop: () => service.stop() };
    },
  };
}

/** A Redis or PostgreSQL server as the supervisor runs it: started again, with its data, after a crash. */
function serverChild(
  name: string,
  server: RedisServer | PostgresServer,
  stop: () => Promise<void>,
): SupervisedChild {
  return {
    name,
    async start() {
      if (!server.running) await server.start();
      return { pid: server.pid, exited: server.exited(), stop };
    },
  };
}

/**
 * How the runner logs a supervisor event: restarts and their reasons. Start-up starts, expected exits and
 * the give-up (onGiveUp reports it) get no line.
 */
function describeEvent(event: SupervisorEvent, max: number, windowMs: number): string | undefined {
  if (event.type === 'started' && event.restart) return `${event.name} restarted (pid ${event.pid})`;
  if (event.type === 'restarting') {
    return `${event.name} ${event.reason}; restarting in ${event.delayMs} ms (crash ${event.crashes} of ${max} allowed within ${windowMs / 1000} s)`;
  }
  return undefined;
}

/**
 * What `npm start` runs: a state Redis and a cache Redis, PostgreSQL with the services' database migrated,
 * the three services and the worker, every one supervised (restarted after a crash). `start()` resolves
 * once every /readyz answers; `stop()` stops everything it started, also during start-up.
 */
export class LocalStack {
  readonly supervisor: Supervisor;
  readonly #config: StackConfig;
  readonly #o: LocalStackOptions;
  readonly #log: (line: string) => void;
  #redis: RedisServer | undefined;
  #cluster: RedisCluster | undefined;
  #cache: RedisServer | undefined;
  #postgres: PostgresServer | undefined;
  #services: string[] = [];
  /** Instances 2…N of every service (REDWIRE_INSTANCES), on free ports picked at start. */
  #instances: InstancePorts[] = [];
  readonly #readyUrls = new Map<string, string>();
  #stopping: Promise<void> | undefined;

  constructor(config: StackConfig, options: LocalStackOptions = {}) {
    this.#config = config;
    this.#o = options;
    this.#log = options.log ?? ((line) => process.stderr.write(`[stack] ${line}\n`));
    const policy = { maxCrashes: 5, crashWindowMs: 60_000, ...options.supervisor };
    this.supervisor = new Supervisor({
      ...policy,
      onEvent: (event, at) => {
        const line = describeEvent(event, policy.maxCrashes, policy.crashWindowMs);
        if (line) this.#log(line);
        options.supervisor?.onEvent?.(event, at);
      },
      onGiveUp: options.onGiveUp ?? ((message) => this.#log(message)),
    });
  }

  get config(): StackConfig {
    return this.#config;
  }

  /** Names of the service processes (gateways included), in start order. */
  get services(): readonly string[] {
    return this.#services;
  }

  /** The URL that answers 200 once the service `name` can serve (its /readyz; the worker's /healthz). */
  readyUrl(name: string): string | undefined {
    return this.#readyUrls.get(name);
  }

  get urls(): StackUrls {
    const { config } = this;
    if (!this.#redis || !this.#cache || !this.#postgres) throw new Error('the stack has not started');
    const gateways = [
      { port: config.gatewayPort, adminPort: config.gatewayAdminPort },
      ...this.#instances,
      ...(this.#o.extraGateways ?? []),
    ];
    return {
      gateways: gateways.map((g) => `http://127.0.0.1:${g.port}`),
      gatewayAdmins: gateways.map((g) => `http://127.0.0.1:${g.adminPort}`),
      redis: this.#redis.url,
      ...(this.#cluster ? { redisClusterNodes: this.#cluster.nodes.map((n) => `${n.host}:${n.port}`) } : {}),
      cacheRedis: this.#cache.url,
      database: this.#postgres.urlFor(APP_DATABASE, APP_ROLE),
      postgresAdmin: this.#postgres.adminUrl,
    };
  }

  /**
   * The line `npm start` prints once ready: the format clients parse (the README's), `cache=` appended, and
   * with several gateways `gateways=` (the others' URLs, comma-separated) after it.
   */
  readyLine(): string {
    const { config, urls } = this;
    const others = urls.gateways.slice(1);
    return (
      `redwire ready: gateway=http://127.0.0.1:${config.gatewayPort} redis=${urls.redis} ` +
      `postgres=postgres://${APP_ROLE}@127.0.0.1:${config.postgresPort}/${APP_DATABASE} cache=${urls.cacheRedis}` +
      (others.length > 0 ? ` gateways=${others.join(',')}` : '')
    );
  }

  async start(): Promise<void> {
    const config = this.#config;
    await this.#refuseTakenPorts();
    if (config.instances > 1 && (this.#o.extraGateways ?? []).length > 0)
      throw new StackRefusal('REDWIRE_INSTANCES and the extraGateways option cannot be combined: choose one');
    this.#instances = await this.#pickInstancePorts(config.instances - 1);
    for (const [i, p] of this.#instances.entries())
      this.#log(
        `instance ${i + 2}: gateway on port ${p.port} (admin ${p.adminPort}), user on ${p.userPort}, ` +
          `auth on ${p.authPort}, user worker metrics on ${p.workerMetricsPort}`,
      );
    const redisDir = config.dataDir ? path.join(config.dataDir, 'redis') : undefined;
    const pgDir = config.dataDir ? path.join(config.dataDir, 'postgres') : undefined;
    const [redis, cache, postgres] = await Promise.allSettled([
      config.redisTopology === 'cluster'
        ? startRedisCluster({
            ...STATE_CLUSTER,
            firstPort: config.redisPort,
            // Free now, but the services and extra gateways bind them later.
            avoidPorts: [
              ...stackPorts(config).map((p) => p.port),
              ...(this.#o.extraGateways ?? []).flatMap((g) => [g.port, g.adminPort]),
              ...this.#instances.flatMap((p) => [
                p.port,
                p.adminPort,
                p.userPort,
                p.authPort,
                p.workerMetricsPort,
              ]),
            ],
          })
        : startRedisServer({ port: config.redisPort, ...(redisDir ? { dataDir: redisDir } : {}) }),
      startRedisServer({
        port: config.cacheRedisPort,
        maxmemoryPolicy: 'allkeys-lru',
        extraArgs: ['--maxmemory', CACHE_MAXMEMORY],
      }),
      startPostgresServer({ port: config.postgresPort, ...(pgDir ? { dataDir: pgDir, durable: true } : {}) }),
    ]);
    if (redis.status === 'fulfilled') {
      if ('servers' in redis.value) {
        this.#cluster = redis.value;
        this.#redis = redis.value.servers[0];
      } else this.#redis = redis.value;
    }
    if (cache.status === 'fulfilled') this.#cache = cache.value;
    if (postgres.status === 'fulfilled') this.#postgres = postgres.value;
    const servers: [string, RedisServer | PostgresServer | undefined, () => Promise<void>][] = [
      ...this.#stateServers().map(([name, server]): [string, RedisServer, () => Promise<void>] => [
        name,
        server,
        () => server.stop(),
      ]),
      [STACK_PROCESS.cacheRedis, this.#cache, () => this.#cache?.stop() ?? Promise.resolve()],
      // Never removes the data: a restart reuses it; stop() removes an ephemeral cluster at the very end.
      [
        STACK_PROCESS.postgres,
        this.#postgres,
        () => this.#postgres?.stop({ remove: false }) ?? Promise.resolve(),
      ],
    ];
    for (const [name, server, stop] of servers) {
      if (server) await this.supervisor.add(serverChild(name, server, stop));
    }
    for (const result of [redis, cache, postgres]) if (result.status === 'rejected') throw result.reason;
    this.#throwIfStopping();
    const { urls } = this;
    const state = urls.redisClusterNodes
      ? `redis cluster on ${urls.redisClusterNodes.join(',')} (3 masters first, then their replicas; ephemeral)`
      : `redis on ${urls.redis}`;
    this.#log(
      `${state} (cache on ${urls.cacheRedis}), postgres on port ${config.postgresPort}` +
        `${config.dataDir ? ` (data in ${config.dataDir})` : ' (ephemeral)'}`,
    );
    await ensureAppDatabase(urls.postgresAdmin, APP_ROLE, APP_DATABASE);
    const relay = this.#o.relay ?? ((line: string) => process.stdout.write(`${line}\n`));
    runMigrations(config.env, urls.database, this.#log, relay);
    this.#throwIfStopping();

    const runnerSpecs = withGatewayReplicas(
      withInstances(
        serviceSpecs(config, this.#stateRedis(), urls.cacheRedis, urls.database),
        this.#instances,
      ),
      this.#o.extraGateways ?? [],
    );
    for (const notice of settingNotices(
      config.env,
      runnerSpecs.map((spec) => spec.env),
    )) {
      this.#log(notice);
    }
    const specs = runnerSpecs.map((spec) => ({
      ...spec,
      env: {
        ...serviceEnvironment(config.env, spec.env, spec.name),
        ...this.#o.serviceEnv,
        ...this.#o.serviceEnvFor?.[spec.name],
      },
    }));
    const preload = path.join(repoRoot, 'shared/observability/dist/preload.js');
    for (const [i, spec] of specs.entries()) {
      this.#services.push(spec.name);
      if (spec.readyUrl) this.#readyUrls.set(spec.name, spec.readyUrl);
      await this.supervisor.add(serviceChild(spec, fs.existsSync(preload) ? preload : undefined, i, relay));
    }
    await waitForReady(
      specs.flatMap((s) => (s.readyUrl ? [s.readyUrl] : [])),
      {
        timeoutMs: this.#o.readyTimeoutMs ?? 60000,
        abort: () => this.supervisor.failure ?? (this.#stopping ? 'the stack is stopping' : undefined),
      },
    );
    this.supervisor.arm();
    const auth = specs.find((s) => s.name === STACK_PROCESS.auth);
    if (auth && config.adminEmail !== '') {
      await createLocalAdmin(
        path.join(repoRoot, 'services/auth/dist/admin.js'),
        config.adminEmail,
        auth.env,
        this.#log,
      );
    }
  }

  /** Stops the services (in parallel), then Redis and PostgreSQL. Safe to call at any time, and twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.supervisor.close([
        [...this.#services],
        [...this.#stateServers().map(([name]) => name), STACK_PROCESS.cacheRedis, STACK_PROCESS.postgres],
      ]);
      await this.#cluster?.stop();
      // Also when it was not running (held by a fault test): an ephemeral cluster's folder goes.
      await this.#postgres?.stop({ remove: this.#config.dataDir === undefined });
    })();
    return this.#stopping;
  }

  /** Every port the stack would listen on must be free: a taken one ends start-up with one line per port. */
  async #refuseTakenPorts(): Promise<void> {
    const ports = [
      ...stackPorts(this.#config),
      ...(this.#o.extraGateways ?? []).flatMap((g, i) => [
        // The names the chaos and soak harnesses read these ports from.
        { variable: `REDWIRE_GATEWAY${i + 2}_PORT`, port: g.port },
        { variable: `REDWIRE_GATEWAY${i + 2}_ADMIN_PORT`, port: g.adminPort },
      ]),
    ];
    if (this.#config.redisTopology === 'cluster')
      ports.push({
        variable: 'REDWIRE_REDIS_PORT (+10000, its cluster bus)',
        port: this.#config.redisPort + 10000,
      });
    const taken: string[] = [];
    for (const { variable, port } of ports) {
      if (!(await isPortFree(port))) {
        taken.push(
          `port ${port} (${variable}) is in use by another process: stop it, or choose another port (${variable}=<port>)`,
        );
      }
    }
    if (taken.length > 0) throw new StackRefusal(taken.join('\n'));
  }

  /** Free ports for `count` more instances, none of them one the stack was told to use. */
  async #pickInstancePorts(count: number): Promise<InstancePorts[]> {
    const taken = new Set(stackPorts(this.#config).map((p) => p.port));
    if (this.#config.redisTopology === 'cluster') taken.add(this.#config.redisPort + 10000);
    const pick = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!taken.has(port)) {
          taken.add(port);
          return port;
        }
      }
    };
    const instances: InstancePorts[] = [];
    for (let i = 0; i < count; i++)
      instances.push({
        port: await pick(),
        adminPort: await pick(),
        userPort: await pick(),
        authPort: await pick(),
        workerMetricsPort: await pick(),
      });
    return instances;
  }

  /**
   * The state Redis's supervised processes and where each listens (`127.0.0.1:port`), in the order of
   * `urls.redisClusterNodes`: what a fault injector needs to kill the node that serves a given key.
   */
  get stateRedisProcesses(): readonly { readonly name: string; readonly address: string }[] {
    return this.#stateServers().map(([name, server]) => ({ name, address: `127.0.0.1:${server.port}` }));
  }

  /**
   * The state Redis's processes with their supervisor names: `redis`, and with the cluster topology
   * `redis-2` … `redis-6` for the other nodes (masters first).
   */
  #stateServers(): [string, RedisServer][] {
    if (this.#cluster)
      return this.#cluster.servers.map((server, i) => [
        i === 0 ? STACK_PROCESS.stateRedis : `${STACK_PROCESS.stateRedis}-${i + 1}`,
        server,
      ]);
    return this.#redis ? [[STACK_PROCESS.stateRedis, this.#redis]] : [];
  }

  #stateRedis(): StateRedis {
    const { urls } = this;
    return urls.redisClusterNodes ? { clusterNodes: urls.redisClusterNodes } : { url: urls.redis };
  }

  #throwIfStopping(): void {
    if (this.#stopping) throw new Error('the stack is stopping');
  }
}
