// bentocache, loaded on demand: its Redis driver needs `ioredis` resolvable from the repository root (an
// optional peer dependency). When that is missing, only the bentocache variants fail, with the reason.

/** The two calls the suite makes, whatever bentocache's generic types say. */
export interface BentoUnderTest {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  close(): Promise<void>;
}

/** bentocache 1.6 with its defaults: the Redis driver (L2), optionally the memory driver in front (L1). */
export async function createBento(
  redisUrl: string,
  options: { readonly l1: boolean; readonly ttl: string },
): Promise<BentoUnderTest> {
  const { BentoCache, bentostore } = await import('bentocache');
  const { redisDriver } = await import('bentocache/drivers/redis');
  const { memoryDriver } = await import('bentocache/drivers/memory');
  const url = new URL(redisUrl);
  const l2 = redisDriver({ connection: { host: url.hostname, port: Number(url.port) } });
  const store = options.l1
    ? bentostore()
        .useL1Layer(memoryDriver({ maxSize: '64mb' }))
        .useL2Layer(l2)
    : bentostore().useL2Layer(l2);
  const cache = new BentoCache({ default: 'users', stores: { users: store }, ttl: options.ttl });
  return {
    get: (key) => cache.get({ key }),
    set: async (key, value) => {
      await cache.set({ key, value });
    },
    close: () => cache.disconnectAll(),
  };
}
