import type pg from 'pg';
import { z } from 'zod';

/** A product as the catalogue stores, caches and returns it. */
export const productSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  priceCents: z.number().int().nonnegative(),
  updatedAt: z.date(),
});
export type Product = z.infer<typeof productSchema>;

/** A product with the version its row has now (bumped by every write). */
export interface VersionedProduct {
  readonly product: Product;
  readonly version: number;
}

interface ProductRow {
  id: string;
  name: string;
  price_cents: number;
  version: string;
  updated_at: Date;
}

const toVersioned = (row: ProductRow): VersionedProduct => ({
  product: { id: row.id, name: row.name, priceCents: row.price_cents, updatedAt: row.updated_at },
  version: Number(row.version),
});

/**
 * The `products` table: the source of truth. Every write bumps `version` and `updated_at` in the same
 * statement, which is all the cache needs: versions order fills and invalidations, and `updated_at` is the
 * write log its recovery sweep reads after a cache outage.
 */
export class ProductRepository {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Creates the table if it does not exist yet. */
  async migrate(): Promise<void> {
    await this.#pool.query(`
      CREATE TABLE IF NOT EXISTS products (
        id          text PRIMARY KEY,
        name        text NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents >= 0),
        version     bigint NOT NULL DEFAULT 1,
        updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX IF NOT EXISTS products_updated_at ON products (updated_at)`);
  }

  async findById(id: string): Promise<VersionedProduct | undefined> {
    const { rows } = await this.#pool.query<ProductRow>('SELECT * FROM products WHERE id = $1', [id]);
    return rows[0] && toVersioned(rows[0]);
  }

  /** Inserts a product at version 1; undefined when the id is taken. */
  async create(id: string, name: string, priceCents: number): Promise<VersionedProduct | undefined> {
    const { rows } = await this.#pool.query<ProductRow>(
      `INSERT INTO products (id, name, price_cents) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING
       RETURNING *`,
      [id, name, priceCents],
    );
    return rows[0] && toVersioned(rows[0]);
  }

  /** Sets the price; undefined when there is no such product. */
  async setPrice(id: string, priceCents: number): Promise<VersionedProduct | undefined> {
    const { rows } = await this.#pool.query<ProductRow>(
      `UPDATE products SET price_cents = $2, version = version + 1, updated_at = clock_timestamp()
       WHERE id = $1 RETURNING *`,
      [id, priceCents],
    );
    return rows[0] && toVersioned(rows[0]);
  }

  /** Deletes the product; the version its deletion makes current (the deleted one + 1), or undefined. */
  async delete(id: string): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ version: string }>(
      'DELETE FROM products WHERE id = $1 RETURNING version',
      [id],
    );
    return rows[0] && Number(rows[0].version) + 1;
  }

  /**
   * Products written since `since`, at their current version (the cache's recovery sweep). A deleted
   * product leaves no row: its invalidation is remembered by the process that deleted it, and its cache
   * entry expires within the cache's maxTtlMs at the latest (a tombstone table would cover it too).
   */
  async writtenSince(since: Date): Promise<{ id: string; version: number }[]> {
    const { rows } = await this.#pool.query<{ id: string; version: string }>(
      'SELECT id, version FROM products WHERE updated_at >= $1',
      [since],
    );
    return rows.map((row) => ({ id: row.id, version: Number(row.version) }));
  }
}
