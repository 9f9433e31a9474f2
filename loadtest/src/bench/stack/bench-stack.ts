import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  createDatabase,
  freePort,
  type NodeService,
  type PostgresServer,
  type RedisCluster,
  type RedisServer,
  startNodeService,
  startPostgresServer,
  startRedisCluster,
  startRedisServer,
} from '@redwire/launchers';
import type { RedisTarget } from '@redwire/redis-kit';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { runNodeScript } from './run-node-script';

/** The repository root, from `loadtest/dist/bench/stack/`. */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

/** A compiled file of a workspace package if it exists (`services/user`, `dist/main.js`), else undefined. */
export function compiled(packageDir: string, file: string): string | undefined {
  const full = path.join(REPO_ROOT, packageDir, file);
  return fs.existsSync(full) ? full : undefined;
}

/** Where a case's redwire part talks to Redis: the single node, or the 3-master cluster beside it. */
export type BenchTopology = 'single' | 'cluster';

/**
 * Everything the suite runs against: its own redis-server, 3-master Redis Cluster and PostgreSQL (never a
 * developer's), the user schema migrated through the user service's own migrate entry, and the child
 * processes it starts.
 */
export class BenchStack {
  /** The one Redis for both roles (the bench measures parts, not the deployment; the local stack runs two). */
  readonly redisUrl: string;
  /** The seed nodes of a 3-master Redis Cluster (no replicas) on the same machine, for the cluster variants. */
  readonly clusterNodes: readonly { host: string; port: number }[];
  /** A database with the users schema, or undefined when the user service is not built. */
  readonly databaseUrl: string | undefined;
  /** Why `databaseUrl` is missing. */
  readonly databaseMissing: string | undefined;
  /** A fresh IDENTITY_SIGNING_KEY for this run (never the development value). */
  readonly identityKey = randomBytes(32).toString('base64url');
  readonly #redis: RedisServer;
  readonly #cluster: RedisCluster;
  readonly #postgres: PostgresServer;
  readonly #cleanups: (() => Promise<unknown>)[] = [];

  private constructor(
    redis: RedisServer,
    cluster: RedisCluster,
    postgres: PostgresServer,
    database: { url: string | undefined; missing: string | undefined },
  ) {
    this.#redis = redis;
    this.#cluster = cluster;
    this.#postgres = postgres;
    this.redisUrl = redis.url;
    this.clusterNodes = cluster.nodes;
    this.databaseUrl = database.url;
    this.databaseMissing = database.missing;
  }

  static async start(): Promise<BenchStack> {
    const redis = await startRedisServer({ maxmemoryPolicy: 'noeviction' });
    let cluster: RedisCluster;
    let postgres: PostgresServer;
    try {
      cluster = await startRedisCluster(3);
    } catch (error) {
      await redis.stop();
      throw error;
    }
    try {
      postgres = await startPostgresServer();
    } catch (error) {
      await Promise.all([redis.stop(), cluster.stop()]);
      throw error;
    }
    const migrate = compiled('services/user', 'dist/migrate.js');
    let database: { url: string | undefined; missing: string | undefined };
    if (migrate) {
      const db = await createDatabase(postgres.adminUrl, 'redwire_bench');
      await runNodeScript(migrate, { DATABASE_URL: db.url });
      database = { url: db.url, missing: undefined };
    } else {
      database = { url: undefined, missing: 'services/user/dist/migrate.js (user service not built)' };
    }
    return new BenchStack(redis, cluster, postgres, database);
  }

  /** The redis-kit target of a topology: the single node's URL or the cluster's seed nodes. */
  redisTarget(topology: BenchTopology): RedisTarget {
    return topology === 'cluster' ? { clusterNodes: this.clusterNodes } : { url: this.redisUrl };
  }

  /** A plain ioredis client (library defaults), closed with the stack. For baselines and inspection. */
  plainRedis(): Redis {
    const client = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    this.onClose(async () => client.quit().catch(() => client.disconnect()));
    return client;
  }

  /** A plain ioredis Cluster client on the suite's cluster (library defaults, every master connected). */
  async plainCluster(): Promise<Cluster> {
    const client = new Cluster([...this.clusterNodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    client.on('error', () => {});
    this.onClose(async () => client.quit().catch(() => client.disconnect()));
    await client.ping();
    await Promise.all(client.nodes('master').map((node) => node.ping()));
    return client;
  }

  /** A pg pool on the bench database, closed with the stack. */
  pgPool(): pg.Pool {
    if (!this.databaseUrl) throw new Error(`no database: ${this.databaseMissing}`);
    const pool = new pg.Pool({ connectionString: this.databaseUrl, max: 4 });
    this.onClose(() => pool.end());
    return pool;
  }

  /**
   * Starts a child HTTP service on a free port and waits until `readyPath` answers 200; stopped with the
   * stack. The child gets only PATH, HOME and `env`, and ends itself when the suite dies.
   */
  async startService(
    name: string,
    entry: string,
    env: (port: number) => Record<string, string>,
    readyPath = '/healthz',
  ): Promise<{ url: string; service: NodeService }> {
    const port = await freePort();
    const service = await startNodeService({
      name,
      entry,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env(port) },
      exitWithParent: true,
      readyUrl: `http://127.0.0.1:${port}${readyPath}`,
    });
    this.onClose(() => service.stop());
    return { url: `http://127.0.0.1:${port}`, service };
  }

  /** Starts one of the suite's own HTTP targets (`targets/<name>.target.ts`) as a child process. */
  startTarget(name: string, config: Record<string, unknown>): Promise<{ url: string; service: NodeService }> {
    const entry = path.join(__dirname, '..', 'targets', 'main.js');
    return this.startService(`target ${name}`, entry, (port) => ({
      NODE_ENV: 'production',
      BENCH_TARGET: name,
      BENCH_TARGET_CONFIG: JSON.stringify({ ...config, port }),
    }));
  }

  /** The postmaster's pid (its backends are its children), for CPU accounting; undefined when stopped. */
  get postgresPid(): number | undefined {
    return this.#postgres.pid;
  }

  /** Throws when the suite's own Redis or PostgreSQL process is gone (killed from outside), so a run stops. */
  checkAlive(): void {
    const dead = [
      this.#redis.running ? '' : 'redis-server',
      this.#postgres.running ? '' : 'PostgreSQL',
    ].filter(Boolean);
    if (dead.length)
      throw new Error(`the suite's ${dead.join(' and ')} exited during the run (killed from outside?)`);
  }

  /** Registers clean-up, run in reverse order by close(). */
  onClose(cleanup: () => Promise<unknown>): void {
    this.#cleanups.push(cleanup);
  }

  /** Server versions for the report. */
  async versions(): Promise<{ redis: string; postgres: string }> {
    const client = new Redis(this.redisUrl, { lazyConnect: true });
    client.on('error', () => {});
    let redis = 'unknown';
    try {
      await client.connect();
      redis = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
    } finally {
      client.disconnect();
    }
    const admin = new pg.Client({ connectionString: this.#postgres.adminUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ server_version: string }>('SHOW server_version');
      return { redis, postgres: rows[0]?.server_version ?? 'unknown' };
    } finally {
      await admin.end();
    }
  }

  async close(): Promise<void> {
    for (const cleanup of this.#cleanups.reverse()) {
      await cleanup().catch(() => {});
    }
    await this.#postgres.stop({ remove: true }).catch(() => {});
    await this.#redis.stop().catch(() => {});
    await this.#cluster.stop().catch(() => {});
  }
}
