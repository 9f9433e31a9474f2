import { z } from 'zod';
import { disconnectNow, isDisconnected } from '../internal/disconnect';
import { functionSchema, resolveOptions } from '../internal/options';
import {
  connectionName,
  createRedisClient,
  type RedisClient,
  type RedisClientKind,
  type RedisClientSettings,
  type RedisRole,
  resolveClientOptions,
} from './redis-client.factory';
import { checkRedis, type RedisHealth } from './redis-health';
import type { RedisTarget } from './redis-target';

/** Options for a process's set of Redis connections. */
export interface RedisConnectionsOptions {
  /** The service name, part of every connection name. Required. */
  service: string;
  /** The `state` deployment (REDIS_URL, noeviction). Required. */
  state: RedisTarget;
  /** The `cache` deployment (CACHE_REDIS_URL, evictable). @default the state target */
  cache?: RedisTarget;
  /**
   * Settings for every client (timeouts, back-off, credentials override, lazyConnect); see
   * RedisClientSettings for each default.
   * @default {}
   */
  client?: Omit<RedisClientSettings, 'service' | 'role' | 'kind' | 'purpose' | 'onError'>;
  /** Receives connection errors with the connection name. @default ignore */
  onError?: (error: Error, connection: string) => void;
}

const schema = z.object({
  service: z.string(),
  state: z.custom<RedisTarget>(
    (v) => typeof v === 'object' && v !== null,
    'must be { url } or { clusterNodes }',
  ),
  cache: z
    .custom<RedisTarget>((v) => typeof v === 'object' && v !== null, 'must be { url } or { clusterNodes }')
    .optional(),
  client: z.record(z.string(), z.unknown()).default({}),
  onError: functionSchema<(error: Error, connection: string) => void>().optional(),
});

/** How long close() lets QUIT drain in-flight replies before dropping the socket. */
const QUIT_TIMEOUT_MS = 1000;

async function closeClient(client: RedisClient): Promise<void> {
  // A consumer already dropped its own blocking connection.
  if (isDisconnected(client)) return disconnectNow(client);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    client.quit().catch(() => {}),
    new Promise((resolve) => {
      timer = setTimeout(resolve, QUIT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  await disconnectNow(client, 200);
}

/**
 * The composition root's Redis: one shared request-path client per role (created on first use), plus
 * dedicated blocking connections for consumers and BullMQ, all closed by `close()`.
 *
 * @example
 * const redis = new RedisConnections({ service: 'user', state: { url: config.redisUrl }, cache: { url: config.cacheRedisUrl } });
 * const cache = redis.request('cache');
 * const consumer = new StreamConsumer({ connection: redis.blocking('user-events'), ... });
 * await redis.close();
 */
export class RedisConnections {
  private readonly options: ReturnType<typeof resolve>;
  private readonly requestClients = new Map<RedisRole, RedisClient>();
  private readonly blockingClients = new Set<RedisClient>();
  private closed = false;

  constructor(options: RedisConnectionsOptions) {
    this.options = resolve(options);
    // Fail at start-up, not on first use, when a target or setting is invalid.
    for (const role of ['state', 'cache'] as const) {
      resolveClientOptions({ ...this.targetOf(role), ...this.settings(role, 'request') });
    }
  }

  /** The shared fail-fast client of a role: the same instance on every call. */
  request(role: RedisRole = 'state'): RedisClient {
    this.assertOpen();
    let client = this.requestClients.get(role);
    if (!client) {
      client = createRedisClient({ ...this.targetOf(role), ...this.settings(role, 'request') });
      this.requestClients.set(role, client);
    }
    return client;
  }

  /**
   * A new dedicated blocking connection (a stream consumer or a BullMQ worker owns it). Each call opens
   * one more connection named `<service>:<role>:blocking:<purpose>`.
   */
  blocking(purpose: string, role: RedisRole = 'state'): RedisClient {
    this.assertOpen();
    const client = createRedisClient({ ...this.targetOf(role), ...this.settings(role, 'blocking', purpose) });
    this.blockingClients.add(client);
    client.once('end', () => this.blockingClients.delete(client));
    return client;
  }

  /** PINGs every request-path client created so far (both roles when cache is its own deployment). */
  async check(timeoutMs = 1000): Promise<Record<RedisRole, RedisHealth>> {
    const [state, cache] = await Promise.all([
      checkRedis(this.request('state'), { timeoutMs }),
      checkRedis(this.request('cache'), { timeoutMs }),
    ]);
    return { state, cache };
  }

  /** Closes every connection (QUIT with a short deadline, then disconnect). Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.requestClients.values(), ...this.blockingClients];
    this.requestClients.clear();
    this.blockingClients.clear();
    await Promise.all(all.map(closeClient));
  }

  private targetOf(role: RedisRole): RedisTarget {
    return role === 'cache' ? (this.options.cache ?? this.options.state) : this.options.state;
  }

  private settings(role: RedisRole, kind: RedisClientKind, purpose?: string): RedisClientSettings {
    const { service, onError } = this.options;
    const name = connectionName({ service, role, kind, ...(purpose ? { purpose } : {}) });
    return {
      ...(this.options.client as RedisConnectionsOptions['client']),
      service,
      role,
      kind,
      ...(purpose ? { purpose } : {}),
      onError: (error: Error) => onError?.(error, name),
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('RedisConnections is closed');
  }
}

function resolve(options: RedisConnectionsOptions) {
  return resolveOptions('RedisConnections', schema, options);
}
