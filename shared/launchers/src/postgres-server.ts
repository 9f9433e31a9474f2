import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { postgresBinDir } from './binaries';
import { freePort } from './free-port';
import {
  isRunning,
  type ManagedProcess,
  type ProcessExit,
  spawnManaged,
  stopProcess,
  waitUntilUp,
  withPortRetry,
} from './managed-process';

export interface PostgresServerOptions {
  /** Port to listen on. @default a free port */
  port?: number;
  /**
   * Keep the cluster in this folder (created and initialised when empty). Must be reachable by the
   * `postgres` user when running as root, so not under root's 0700 home. @default a fresh folder under the system temp dir, removed on `stop({ remove: true })`
   */
  dataDir?: string;
  /** Durable writes (fsync on). Tests and the ephemeral stack turn them off for speed. @default false */
  durable?: boolean;
}

/** A PostgreSQL server child process on loopback with trust authentication for loopback only. */
export interface PostgresServer {
  readonly port: number;
  /** Superuser connection string (`postgres` role, `postgres` database). */
  readonly adminUrl: string;
  readonly dataDir: string;
  /** Builds a connection string for a database on this server. */
  urlFor(database: string, user?: string): string;
  /** Fast shutdown (SIGINT). `remove` deletes an ephemeral data dir. */
  stop(options?: { remove?: boolean }): Promise<void>;
  /** Starts it again on the same port and data dir. */
  start(): Promise<void>;
  readonly running: boolean;
  /** The running process's id (for freeze/thaw, kill faults, a supervisor); undefined when not running. */
  readonly pid: number | undefined;
  /** Resolves when the current process exits (at once when none runs): how a supervisor notices a crash. */
  exited(): Promise<ProcessExit>;
}

/** The uid/gid to run PostgreSQL as: the `postgres` user when we are root (postgres refuses root). */
function serverIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'Running as root, PostgreSQL needs an unprivileged `postgres` user to run as. Create it with: useradd --system postgres',
    );
  }
}

export async function startPostgresServer(options: PostgresServerOptions = {}): Promise<PostgresServer> {
  // A free port can be taken by another process between the probe and the bind: retry on a fresh one.
  return options.port === undefined
    ? withPortRetry(() => startPostgresOnce(options))
    : startPostgresOnce(options);
}

async function startPostgresOnce(options: PostgresServerOptions): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const port = options.port ?? (await freePort());
  const ephemeral = options.dataDir === undefined;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-pg-'));
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-pgsock-'));
  const identity = serverIdentity();
  fs.mkdirSync(dataDir, { recursive: true });
  if (identity) {
    fs.chownSync(dataDir, identity.uid, identity.gid);
    fs.chownSync(socketDir, identity.uid, identity.gid);
  }
  fs.chmodSync(dataDir, 0o700);

  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    execFileSync(
      path.join(bin, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'],
      { stdio: 'pipe', cwd: os.tmpdir(), ...(identity ?? {}) },
    );
  }

  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-k',
    socketDir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'max_connections=300',
    ...(options.durable
      ? []
      : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ];
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let proc: ManagedProcess | undefined;

  const start = async () => {
    proc = spawnManaged(path.join(bin, 'postgres'), args, { cwd: os.tmpdir(), ...(identity ?? {}) });
    const current = proc;
    await waitUntilUp(`postgres on port ${port}`, () => canConnect(adminUrl), current, 20000);
  };
  await start();

  return {
    port,
    adminUrl,
    dataDir,
    urlFor: (database, user = 'postgres') => `postgres://${user}@127.0.0.1:${port}/${database}`,
    get running() {
      return isRunning(proc);
    },
    get pid() {
      return isRunning(proc) ? proc.child.pid : undefined;
    },
    exited: () => proc?.exited ?? Promise.resolve({ code: null, signal: null }),
    async stop({ remove = ephemeral } = {}) {
      if (proc) await stopProcess(proc, 'SIGINT', 10000);
      if (remove) fs.rmSync(dataDir, { recursive: true, force: true });
      if (remove) fs.rmSync(socketDir, { recursive: true, force: true });
    },
    start,
  };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}
