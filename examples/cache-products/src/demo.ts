import { createRedisClient, waitForReady } from '@redwire/redis-kit';
import pg from 'pg';
import { ProductRepository } from './product.repository';
import { ProductCatalog } from './product-catalog';

/** Where the demo connects. */
export interface DemoOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** Where each line goes. @default console.log */
  readonly print?: (line: string) => void;
}

/**
 * Two catalogue instances (two processes in production) over one table and one cache: reads, a price
 * change made on one and read on the other, a product that does not exist, a delete, a batch read.
 */
export async function runDemo(options: DemoOptions): Promise<void> {
  const print = options.print ?? console.log;
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 4 });
  const repository = new ProductRepository(pool);
  await repository.migrate();
  const clients = [0, 1].map(() =>
    createRedisClient({ url: options.redisUrl, service: 'products', role: 'cache', commandTimeoutMs: 250 }),
  );
  const [a, b] = clients.map((redis) => new ProductCatalog({ repository, redis })) as [
    ProductCatalog,
    ProductCatalog,
  ];
  try {
    for (const redis of clients) await waitForReady(redis, 5000);
    await a.start();
    await b.start();
    await a.cache.ready(5000);
    await b.cache.ready(5000);

    const id = `teapot-${Date.now()}`;
    await a.create(id, 'Teapot', 2500);
    const show = async (who: string, catalog: ProductCatalog, key = id) => {
      const { value, version, status } = await catalog.get(key);
      print(
        `${who} get ${key}: ${status} ${value ? `v${version} ${value.name} ${value.priceCents}` : 'none'}`,
      );
    };
    await show('a', a); // MISS: loaded from PostgreSQL, cached
    await show('b', b); // HIT: the entry instance a cached
    await b.setPrice(id, 1999);
    await show('a', a); // MISS at the new version: b's write invalidated it before it returned
    await show('a', a, 'no-such-product'); // MISS, cached as absent
    await show('a', a, 'no-such-product'); // HIT
    const many = await a.getMany([id, 'no-such-product']);
    print(`a getMany: ${many.map((r) => `${r.status} ${r.value?.priceCents ?? 'none'}`).join(', ')}`);
    await a.remove(id);
    await show('b', b); // MISS: gone
  } finally {
    await a.close();
    await b.close();
    for (const redis of clients) redis.disconnect();
    await pool.end();
  }
}
