import { EntityCache } from '@redwire/cache';
import { Redis } from 'ioredis';
import pg from 'pg';
import { z } from 'zod';

const db = new pg.Pool({ connectionString: process.env.DATABASE_URL });
// Fail fast: no offline queue, no retries, a deadline on every command (redis-kit's request clients).
const redis = new Redis(process.env.REDIS_URL ?? '', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
await db.query('CREATE TABLE products (id text PRIMARY KEY, name text, price int, version int DEFAULT 1)');
await db.query("INSERT INTO products (id, name, price) VALUES ('p1', 'Teapot', 2500)");

const products = new EntityCache({
  name: 'product', // keys cache:product:{<id>}:v1, :lease, :floor
  redis,
  schema: z.object({ id: z.string(), name: z.string(), price: z.number().int() }),
  load: async (id) => {
    const { rows } = await db.query('SELECT id, name, price, version FROM products WHERE id = $1', [id]);
    const { version, ...value } = rows[0] ?? {};
    return rows[0] ? { value, version } : null; // null: cached as "no such product"
  },
});
await products.start(); // reads go around the cache until its start-up sweep has run
await products.ready(5000);

console.log(await products.get('p1')); // { value: { id: 'p1', …, price: 2500 }, version: 1, status: 'MISS' }
console.log(await products.get('p1')); // the same with status 'HIT': one GET, no query
await products.write(
  () =>
    db.query('UPDATE products SET price = 1999, version = version + 1 WHERE id = $1 RETURNING version', [
      'p1',
    ]),
  (result) => ({ id: 'p1', version: result.rows[0].version }), // invalidated before write() returns
);
console.log(await products.get('p1')); // version 2, price 1999, on every instance
await products.close();
redis.disconnect();
await db.end();
