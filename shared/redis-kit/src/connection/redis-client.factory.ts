import { currentDeadline, RequestDeadlineExceededError } from '@redwire/deadline';
import { Cluster, type ClusterOptions, type Command, Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import { backoffDelay } from '../internal/backoff';
import { backoffSchema, functionSchema, positiveInt, resolveOptions } from '../internal/options';
import { type RedisTarget, resolveTarget } from './redis-target';

/** The two Redis roles of docs/design.md ("Redis roles and key ownership"): `state` (REDIS_URL, noeviction) and `cache` (CACHE_REDIS_URL, evictable). */
export type RedisRole = 'state' | 'cache';

/**
 * `request`: fail fast for request paths (no offline queue, a command timeout, nothing ever re-sent).
 * `blocking`: for stream consumers and BullMQ (commands wait for a reconnect, reconnecting forever).
 */
export type RedisClientKind = 'request' | 'blocking';

/** A single-node or Cluster client; both expose the same command API. */
export type RedisClient = Redis | Cluster;

/** True for a Cluster client (checked by flag, not instanceof: ioredis may be installed more than once). */
export function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

/** Settings shared by every client, besides where it connects. */
export interface RedisClientSettings {
  /** The service using the connection; part of the connection name. Required. */
  service: string;
  /** Which Redis deployment this client talks to. @default 'state' */
  role?: RedisRole;
  /** Fail-fast request-path client or blocking/worker client. @default 'request' */
  kind?: RedisClientKind;
  /** What a blocking connection is for (`user-events`, `bullmq`); appended to the connection name. @default none */
  purpose?: string;
  /**
   * Request-path clients only: a command without a reply after this long is rejected with "Command timed
   * out". The command may still run on the server: it is never re-sent.
   * @default 250
   */
  commandTimeoutMs?: number;
  /** How long a TCP connect plus handshake may take before it is retried. @default 2000 */
  connectTimeoutMs?: number;
  /** Background reconnection back-off (full jitter), forever, for both kinds. @default { initialMs: 50, maxMs: 2000 } */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** ACL user; overrides the one in the URL. @default from the URL, else none */
  username?: string;
  /** Password; overrides the one in the URL. @default from the URL, else none */
  password?: string;
  /**
   * Blocking clients only: a blocking command (XREADGROUP BLOCK, BZPOPMIN) still unanswered this long after
   * its own timeout resolves as a timeout, so a silently dead TCP connection cannot hang a worker.
   * @default 2000
   */
  blockingGraceMs?: number;
  /** Connect on the first command or `connect()` instead of at once. @default false */
  lazyConnect?: boolean;
  /**
   * Receives connection errors (refused, reset, auth). Without it they are dropped: ioredis would print
   * each one to stderr. Pass a rate-limited logger.
   * @default ignore
   */
  onError?: (error: Error) => void;
}

/** Where to connect plus the client settings. */
export type RedisClientOptions = RedisTarget & RedisClientSettings;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const settingsSchema = z.object({
  service: z.string().regex(NAME, 'lowercase name ([a-z0-9._-])'),
  role: z.enum(['state', 'cache']).default('state'),
  kind: z.enum(['request', 'blocking']).default('request'),
  purpose: z.string().regex(NAME, 'lowercase name ([a-z0-9._-])').optional(),
  commandTimeoutMs: positiveInt().default(250),
  connectTimeoutMs: positiveInt().default(2000),
  reconnect: backoffSchema.default({ initialMs: 50, maxMs: 2000 }),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  blockingGraceMs: positiveInt().default(2000),
  lazyConnect: z.boolean().default(false),
  onError: functionSchema<(error: Error) => void>().optional(),
});

/** Validates client options (throws InvalidOptionsError) and applies the defaults. */
export function resolveClientOptions(options: RedisClientOptions) {
  return {
    settings: resolveOptions('RedisClient', settingsSchema, options),
    target: resolveTarget(options, 'RedisClient'),
  };
}

/** The CLIENT SETNAME of a connection: `<service>:<role>:<kind>[:<purpose>]`, for CLIENT LIST/KILL. */
export function connectionName(parts: {
  service: string;
  role?: RedisRole;
  kind?: RedisClientKind;
  purpose?: string;
}): string {
  const base = `${parts.service}:${parts.role ?? 'state'}:${parts.kind ?? 'request'}`;
  return parts.purpose ? `${base}:${parts.purpose}` : base;
}

/**
 * Creates a client for one role and kind, single-node or Cluster from the same options. Connecting starts
 * at once (unless `lazyConnect`); a request-path client rejects commands until it is ready, so await
 * `waitForReady()` at start-up when that matters.
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const { settings, target } = resolveClientOptions(options);
  const retry = (attempt: number) =>
    backoffDelay(attempt - 1, settings.reconnect.initialMs, settings.reconnect.maxMs);

  const common: RedisOptions = {
    connectionName: connectionName(settings),
    connectTimeout: settings.connectTimeoutMs,
    username: settings.username ?? target.username,
    password: settings.password ?? target.password,
    ...(target.tls ? { tls: {} } : {}),
    // Pipelining many callers' commands into one write measured slower here (docs/measurements.md).
    enableAutoPipelining: false,
    reconnectOnError: null,
  };
  const perKind: RedisOptions =
    settings.kind === 'request'
      ? {
          commandTimeout: settings.commandTimeoutMs,
          // A command that was written may have run: never queue, retry or re-send it, so a timed-out
          // INCR or EVALSHA cannot be applied twice.
          maxRetriesPerRequest: 0,
          autoResendUnfulfilledCommands: false,
        }
      : {
          // BullMQ requires null; stream loops rely on commands waiting for the reconnect.
          maxRetriesPerRequest: null,
          autoResendUnfulfilledCommands: true,
          blockingTimeout: 60_000,
          blockingTimeoutGrace: settings.blockingGraceMs,
        };
  const offlineQueue = settings.kind === 'blocking';

  let client: RedisClient;
  if (target.mode === 'standalone') {
    const node = target.nodes[0] as { host: string; port: number };
    client = new Redis({
      ...common,
      ...perKind,
      host: node.host,
      port: node.port,
      db: target.db,
      enableOfflineQueue: offlineQueue,
      retryStrategy: retry,
      lazyConnect: settings.lazyConnect,
    });
  } else {
    const clusterOptions: ClusterOptions = {
      redisOptions: { ...common, ...perKind },
      enableOfflineQueue: offlineQueue,
      clusterRetryStrategy: retry,
      lazyConnect: settings.lazyConnect,
      // On "Connection is closed" ioredis Cluster re-sends the command after this delay: a replay of a
      // command that may already have run. Request paths turn it off; blocking clients keep it.
      retryDelayOnFailover: settings.kind === 'request' ? 0 : 100,
    };
    client = new Cluster(target.nodes, clusterOptions);
  }
  if (settings.kind === 'request') boundByRequestDeadline(client, settings.commandTimeoutMs);
  const onError = settings.onError ?? (() => {});
  client.on('error', onError);
  if (isCluster(client)) client.on('node error', onError);
  return client;
}

/**
 * Request-path clients keep to the deadline of the request they serve (`@redwire/deadline`): a command sent
 * with less time left than the command timeout gives up when the deadline passes, and one sent after it is
 * not written at all. Either rejects with RequestDeadlineExceededError, not "Command timed out": the request
 * ran out of time, Redis did not fail, so breakers and gates must not count it. Like the command timeout,
 * a command already written is not taken back (its late reply is discarded). ioredis has no per-command
 * timeout option, so this wraps `sendCommand`, the one method every command, script and pipeline goes
 * through (tested on a single node and a cluster).
 */
function boundByRequestDeadline(client: RedisClient, commandTimeoutMs: number): void {
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  const bounded = (command: Command, ...rest: unknown[]) => {
    const deadline = currentDeadline();
    if (deadline) {
      const left = deadline.remainingMs();
      if (left <= 0) {
        command.reject(new RequestDeadlineExceededError(deadline.budgetMs));
        return command.promise;
      }
      if (left < commandTimeoutMs) {
        // Like withDeadline: one more turn first, so a reply already in the socket still wins.
        const timer = setTimeout(
          () => setImmediate(() => command.reject(new RequestDeadlineExceededError(deadline.budgetMs))),
          Math.ceil(left),
        );
        const clear = () => clearTimeout(timer);
        command.promise.then(clear, clear);
      }
    }
    return send(command, ...rest);
  };
  client.sendCommand = bounded as typeof client.sendCommand;
}
