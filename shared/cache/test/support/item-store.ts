import { pollUntil } from '@redwire/launchers';
import { createRedisClient, Keyspace, type RedisClient } from '@redwire/redis-kit';
import { testPool, uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import type pg from 'pg';
import { z } from 'zod';
import {
  type CacheMetrics,
  EntityCache,
  type EntityCacheOptions,
  type Loaded,
  type RecentWrite,
} from '../../src/index';

/** The value the cache tests store: a named item with a version bumped by every write. */
export interface Item {
  readonly id: string;
  readonly name: string;
  readonly version: number;
}

/** Item as a zod schema (strict: an extra field is a mismatch). */
export const itemSchema = z.strictObject({ id: z.string(), name: z.string(), version: z.number().int() });

/** Item as a hand-written guard, cross-checking the entry's version. */
export function isItem(value: unknown, version: number): value is Item {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Object.keys(v).length === 3 &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    v.version === version
  );
}

/**
 * The source of truth of the tests that need a database: a table of items in a fresh PostgreSQL database,
 * with a version bumped by every write and a write time for the recovery sweep. Counts its loads.
 */
export class ItemTable {
  /** SELECTs issued by `load` (what "one query per cold key" counts). */
  loads = 0;
  readonly #pool: pg.Pool;
  readonly #drop: () => Promise<void>;

  private constructor(pool: pg.Pool, drop: () => Promise<void>) {
    this.#pool = pool;
    this.#drop = drop;
  }

  static async create(poolSize = 10): Promise<ItemTable> {
    const db = await freshDatabase();
    const pool = testPool(db.url, poolSize);
    await pool.query(
      `CREATE TABLE items (id text PRIMARY KEY, name text NOT NULL, version bigint NOT NULL DEFAULT 1,
         written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    );
    return new ItemTable(pool, async () => {
      await pool.end();
      await db.drop();
    });
  }

  /** The loader a cache fills from. */
  readonly load = async (id: string): Promise<Loaded<Item> | null> => {
    this.loads++;
    const { rows } = await this.#pool.query<{ id: string; name: string; version: string }>(
      'SELECT id, name, version FROM items WHERE id = $1',
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    const item = { id: row.id, name: row.name, version: Number(row.version) };
    return { value: item, version: item.version };
  };

  /** Inserts a new item at version 1 and returns its id. */
  async insert(name = 'first', id = uniquePrefix('item')): Promise<string> {
    await this.#pool.query('INSERT INTO items (id, name) VALUES ($1, $2)', [id, name]);
    return id;
  }

  /** Renames an item (one committed transaction); returns the version it made current. */
  async rename(id: string, name: string): Promise<number> {
    const { rows } = await this.#pool.query<{ version: string }>(
      `UPDATE items SET name = $2, version = version + 1, written_at = clock_timestamp() WHERE id = $1
       RETURNING version`,
      [id, name],
    );
    if (!rows[0]) throw new Error(`no item ${id}`);
    return Number(rows[0].version);
  }

  /** The recovery sweep's write log: every item written since `since`, at its current version. */
  readonly writesSince = async (since: Date): Promise<RecentWrite[]> => {
    const { rows } = await this.#pool.query<{ id: string; version: string }>(
      'SELECT id, version FROM items WHERE written_at >= $1',
      [since],
    );
    return rows.map((r) => ({ id: r.id, version: Number(r.version) }));
  };

  drop(): Promise<void> {
    return this.#drop();
  }
}

/** A request-path client as services build them (fail fast, no offline queue). */
export function requestClient(url = sharedServers().redisUrl, commandTimeoutMs = 2000): RedisClient {
  return createRedisClient({ url, service: 'cache-test', role: 'cache', commandTimeoutMs });
}

/** One instance of an item cache with its own Redis client (what one service process has). */
export interface ItemCacheInstance {
  readonly cache: EntityCache<Item>;
  readonly redis: RedisClient;
  close(): Promise<void>;
}

/**
 * Builds and starts an item cache on its own client in `namespace`, waiting until it serves. The options
 * default to the guard and to `source`'s loader and write log.
 */
export async function startItemCache(
  namespace: string,
  source: { load: EntityCacheOptions<Item>['load']; writesSince?: EntityCacheOptions<Item>['writesSince'] },
  options: Partial<EntityCacheOptions<Item>> & { redisUrl?: string; commandTimeoutMs?: number } = {},
): Promise<ItemCacheInstance> {
  const { redisUrl, commandTimeoutMs, ...rest } = options;
  const redis = requestClient(redisUrl, commandTimeoutMs);
  const cache = new EntityCache<Item>({
    name: 'item',
    redis,
    keyspace: new Keyspace({ service: 'shop', namespace }),
    ...(rest.schema ? {} : { guard: isItem }),
    load: source.load,
    ...(source.writesSince ? { writesSince: source.writesSince } : {}),
    ...rest,
  } as EntityCacheOptions<Item>);
  await cache.start();
  await cache.ready(30_000);
  return {
    cache,
    redis,
    async close() {
      await cache.close();
      redis.disconnect();
    },
  };
}

/** Metrics that count every event as `<kind>:<label>[:<label>]` (e.g. `fill:lease_lost`), for assertions. */
export function countingMetrics(): CacheMetrics & { count(event: string): number } {
  const counts = new Map<string, number>();
  const add = (event: string) => counts.set(event, (counts.get(event) ?? 0) + 1);
  return {
    request: (tier, result) => add(`request:${tier}:${result}`),
    fill: (outcome) => add(`fill:${outcome}`),
    invalidation: (path, outcome) => add(`invalidation:${path}:${outcome}`),
    invalidationLag: () => {},
    gateState: (state) => add(`gate:${state}`),
    count: (event) => counts.get(event) ?? 0,
  };
}

/** Resolves once `probe` returns true (polled every 5 ms), with how long that took. */
export async function until(
  probe: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = performance.now();
  await pollUntil(probe, { what, timeoutMs, intervalMs: 5 });
  return performance.now() - started;
}

/** A promise with its resolver, to pause code under test at a chosen point. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
