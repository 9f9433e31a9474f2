import { type CacheRead, EntityCache } from '@redwire/cache';
import type { Keyspace, RedisClient } from '@redwire/redis-kit';
import { type Product, type ProductRepository, productSchema } from './product.repository';

/** What the catalogue is built from. */
export interface ProductCatalogDeps {
  readonly repository: ProductRepository;
  /** A request-path client of the cache Redis (redis-kit `createRedisClient({ kind: 'request' })`). */
  readonly redis: RedisClient;
  /** Where the cache keys live. @default cache:product:{<id>}:… */
  readonly keyspace?: Keyspace;
}

/**
 * The product catalogue: reads through `@redwire/cache`, writes to PostgreSQL and invalidate before they
 * return, so a caller (on any instance) that reads after a write got its answer sees that write.
 */
export class ProductCatalog {
  readonly cache: EntityCache<Product>;
  readonly #repository: ProductRepository;

  constructor(deps: ProductCatalogDeps) {
    this.#repository = deps.repository;
    this.cache = new EntityCache<Product>({
      name: 'product',
      redis: deps.redis,
      ...(deps.keyspace ? { keyspace: deps.keyspace } : {}),
      // Dates survive the round trip (redis-kit's codec tags them), and the schema checks every hit.
      schema: productSchema,
      load: async (id) => {
        const found = await deps.repository.findById(id);
        return found && { value: found.product, version: found.version };
      },
      writesSince: (since) => deps.repository.writtenSince(since),
      ttlMs: 10 * 60_000, // a price may be cached for 10 minutes...
      staleMs: 30_000, // ...and served 30 s past that while one caller refreshes it or PostgreSQL is down
      negativeTtlMs: 10_000, // "no such product" for 10 s
    });
  }

  /** Starts the cache (its start-up sweep runs first; until then reads go to PostgreSQL). */
  async start(): Promise<void> {
    await this.cache.start();
  }

  async close(): Promise<void> {
    await this.cache.close();
  }

  /** One product (`value` undefined when there is none) and how the cache answered. */
  get(id: string): Promise<CacheRead<Product>> {
    return this.cache.get(id);
  }

  /** Several products in one round trip to Redis (MGET), in the order asked. */
  getMany(ids: readonly string[]): Promise<CacheRead<Product>[]> {
    return this.cache.getMany(ids);
  }

  async create(id: string, name: string, priceCents: number): Promise<Product | undefined> {
    const created = await this.cache.write(
      () => this.#repository.create(id, name, priceCents),
      // A create must invalidate too: a "no such product" entry may be cached.
      (result) => result && { id, version: result.version },
    );
    return created?.product;
  }

  async setPrice(id: string, priceCents: number): Promise<Product | undefined> {
    const updated = await this.cache.write(
      () => this.#repository.setPrice(id, priceCents),
      (result) => result && { id, version: result.version },
    );
    return updated?.product;
  }

  /** True when there was a product to delete. */
  async remove(id: string): Promise<boolean> {
    const version = await this.cache.write(
      () => this.#repository.delete(id),
      (deletedAs) => (deletedAs === undefined ? undefined : { id, version: deletedAs }),
    );
    return version !== undefined;
  }
}
