import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { redisBinary } from './binaries';
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

export interface RedisServerOptions {
  /** Port to listen on. @default a free port */
  port?: number;
  /** Allow DEBUG SLEEP and friends. Test servers only. @default false */
  enableDebug?: boolean;
  /** Redis `maxmemory-policy`. @default 'noeviction' */
  maxmemoryPolicy?: string;
  /** Keep data in this folder with an append-only file, so a restart keeps it. @default ephemeral, no persistence */
  dataDir?: string;
  /** Write an append-only file (in `dataDir`, else in the ephemeral folder). @default true with `dataDir`, else false */
  appendOnly?: boolean;
  /** An ACL file to load (`aclfile`). */
  aclFile?: string;
  /** Extra `--name value` pairs passed to redis-server. */
  extraArgs?: readonly string[];
}

/** A redis-server child process on loopback. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  /** Stops the process (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
  /** Starts it again on the same port (and data dir), e.g. after `stop()` in an outage test. */
  start(): Promise<void>;
  readonly running: boolean;
  /** The running process's id (for freeze/thaw, kill faults, a supervisor); undefined when not running. */
  readonly pid: number | undefined;
  /** Resolves when the current process exits (at once when none runs): how a supervisor notices a crash. */
  exited(): Promise<ProcessExit>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  // A free port can be taken by another process between the probe and the bind: retry on a fresh one.
  return options.port === undefined ? withPortRetry(() => startRedisOnce(options)) : startRedisOnce(options);
}

async function startRedisOnce(options: RedisServerOptions): Promise<RedisServer> {
  const binary = redisBinary('redis-server');
  const port = options.port ?? (await freePort());
  const workDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-redis-'));
  fs.mkdirSync(workDir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    workDir,
    '--save',
    '',
    '--appendonly',
    (options.appendOnly ?? options.dataDir !== undefined) ? 'yes' : 'no',
    '--maxmemory-policy',
    options.maxmemoryPolicy ?? 'noeviction',
    ...(options.enableDebug ? ['--enable-debug-command', 'local'] : []),
    ...(options.aclFile ? ['--aclfile', options.aclFile] : []),
    ...(options.extraArgs ?? []),
  ];
  let proc: ManagedProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const start = async () => {
    proc = spawnManaged(binary, args);
    const current = proc;
    await waitUntilUp(`redis-server on port ${port}`, () => ping(port), current, 30000);
  };
  await start();

  return {
    host: '127.0.0.1',
    port,
    url,
    get running() {
      return isRunning(proc);
    },
    get pid() {
      return isRunning(proc) ? proc.child.pid : undefined;
    },
    exited: () => proc?.exited ?? Promise.resolve({ code: null, signal: null }),
    async stop() {
      if (proc) await stopProcess(proc, 'SIGTERM');
    },
    start,
  };
}

/**
 * PING over a raw socket. Any Redis reply proves the server is up, including NOAUTH/NOPERM from a
 * server whose ACL turns the default user off (a client library would just see the connection close).
 */
export async function ping(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (up: boolean) => {
      socket.destroy();
      resolve(up);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) =>
      done(/^(\+PONG|-NOAUTH|-NOPERM|-WRONGPASS)/.test(chunk.toString('latin1'))),
    );
  });
}
