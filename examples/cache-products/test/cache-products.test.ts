import { createRedisClient, Keyspace, type RedisClient } from '@redwire/redis-kit';
import { testPool, uniquePrefix } from '@redwire/testing';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../src/demo';
import { ProductRepository } from '../src/product.repository';
import { ProductCatalog } from '../src/product-catalog';

// The example against a real Redis and a real PostgreSQL (the test harness's): the demo program as it
// runs, then the catalogue's promises one by one.

let db: Awaited<ReturnType<typeof freshDatabase>>;
let pool: pg.Pool;
let repository: ProductRepository;
const clients: RedisClient[] = [];
const catalogs: ProductCatalog[] = [];

beforeAll(async () => {
  db = await freshDatabase();
  pool = testPool(db.url, 4);
  repository = new ProductRepository(pool);
  await repository.migrate();
});
afterAll(async () => {
  await Promise.all(catalogs.map((c) => c.close()));
  for (const client of clients) client.disconnect();
  await pool?.end();
  await db?.drop();
});

/** A catalogue instance as another process would have it: its own client, the same keys. */
async function instance(namespace: string): Promise<ProductCatalog> {
  const redis = createRedisClient({ url: sharedServers().redisUrl, service: 'products', role: 'cache' });
  clients.push(redis);
  const catalog = new ProductCatalog({
    repository,
    redis,
    keyspace: new Keyspace({ service: 'shop', namespace }),
  });
  catalogs.push(catalog);
  await catalog.start();
  await catalog.cache.ready(10_000);
  return catalog;
}

describe('examples/cache-products', () => {
  it('when the demo runs, then it prints MISS, HIT, the new price read on the other instance, the absent product cached, and the delete', async () => {
    const lines: string[] = [];
    await runDemo({ databaseUrl: db.url, redisUrl: sharedServers().redisUrl, print: (l) => lines.push(l) });
    expect(lines.map((l) => l.replace(/teapot-\d+/g, 'teapot'))).toEqual([
      'a get teapot: MISS v1 Teapot 2500',
      'b get teapot: HIT v1 Teapot 2500',
      'a get teapot: MISS v2 Teapot 1999',
      'a get no-such-product: MISS none',
      'a get no-such-product: HIT none',
      'a getMany: HIT 1999, HIT none',
      'b get teapot: MISS none',
    ]);
  });

  it('when a product is read from the cache, then it is the same product, Date included', async () => {
    const a = await instance(uniquePrefix('p'));
    const id = uniquePrefix('lamp');
    const created = await a.create(id, 'Lamp', 4200);
    const miss = await a.get(id);
    const hit = await a.get(id);
    expect(hit.status).toBe('HIT');
    expect(hit.value).toEqual(created);
    expect(hit.value?.updatedAt).toBeInstanceOf(Date);
    expect(miss.value).toEqual(hit.value);
  });

  it('when a product is created after it was read as absent, then the next read on any instance finds it', async () => {
    const ns = uniquePrefix('p');
    const a = await instance(ns);
    const b = await instance(ns);
    const id = uniquePrefix('chair');
    expect((await b.get(id)).value).toBeUndefined();
    expect((await b.get(id)).status).toBe('HIT'); // the absence is cached
    await a.create(id, 'Chair', 9900);
    expect(await b.get(id)).toMatchObject({ status: 'MISS', version: 1, value: { name: 'Chair' } });
  });

  it('when a write fails in PostgreSQL, then it rejects and the cached product stays as it was', async () => {
    const a = await instance(uniquePrefix('p'));
    const id = uniquePrefix('desk');
    await a.create(id, 'Desk', 30_000);
    await a.get(id);
    await expect(a.setPrice(id, -1)).rejects.toThrow(/price_cents/);
    expect(await a.get(id)).toMatchObject({ status: 'HIT', version: 1, value: { priceCents: 30_000 } });
    expect(await a.setPrice(uniquePrefix('none'), 100)).toBeUndefined();
  });
});
