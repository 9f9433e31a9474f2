// The user service as the suite drives it: its runtime built through its own factory and config loader
// (exactly what main.ts does), and its compiled entry points for the child-process variants. The user
// service exports no library entry, so every deep import of it lives in this file.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserCacheKeys } from '@redwire/user/dist/cache/user-cache.keys';
import { loadServiceConfig } from '@redwire/user/dist/config';
import {
  createUserRuntime,
  type UserRuntime,
  type UserRuntimeOverrides,
} from '@redwire/user/dist/user.runtime';
import { type BenchStack, compiled } from '../stack/bench-stack';

/** Every user-service process of the run shares this Redis namespace (and so its cache keys and stream). */
export const USER_NAMESPACE = 'bench';

/** The environment the user service and its worker get: what the local stack runner sets, plus quiet logs. */
export function userServiceEnv(
  stack: BenchStack,
  extra: Record<string, string> = {},
): Record<string, string> {
  if (!stack.databaseUrl) throw new Error(`user service not measurable: missing ${stack.databaseMissing}`);
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    // Request logs would measure pino and the pipe, not the cache path.
    LOG_LEVEL: 'error',
    DATABASE_URL: stack.databaseUrl,
    REDIS_URL: stack.redisUrl,
    IDENTITY_SIGNING_KEY: stack.identityKey,
    REDIS_NAMESPACE: USER_NAMESPACE,
    ...extra,
  };
}

/** Compiled user-service entry points, or why they are missing. */
export function userEntries(): { main?: string; worker?: string; missing?: string } {
  const main = compiled('services/user', 'dist/main.js');
  const worker = compiled('services/user', 'dist/worker.js');
  const missing = [
    main ? undefined : 'services/user/dist/main.js',
    worker ? undefined : 'services/user/dist/worker.js',
  ]
    .filter(Boolean)
    .join(', ');
  return { ...(main ? { main } : {}), ...(worker ? { worker } : {}), ...(missing ? { missing } : {}) };
}

/** An in-process user runtime (started; closed with the stack). */
export async function startUserRuntime(
  stack: BenchStack,
  options: { readonly l1: boolean; readonly overrides?: UserRuntimeOverrides },
): Promise<UserRuntime> {
  const config = loadServiceConfig(userServiceEnv(stack, { USER_CACHE_L1: options.l1 ? 'true' : 'false' }));
  const runtime = createUserRuntime(config, options.overrides ?? {});
  stack.onClose(() => runtime.close());
  await runtime.start();
  // The cache gate opens after its first probe; reads before that go around the cache.
  for (const deadline = Date.now() + 10_000; !runtime.gate.usable; ) {
    if (Date.now() > deadline) throw new Error('the user cache gate did not open within 10 s');
    await sleep(20);
  }
  return runtime;
}

const seeded = new WeakMap<BenchStack, Promise<string[]>>();

/** Users the suite creates; reads cycle over them. */
export const SEED_USERS = 100;

/** {@link SEED_USERS} users created through the user service (row + outbox), shared by every case of the run. */
export function seedUsers(stack: BenchStack): Promise<string[]> {
  let ids = seeded.get(stack);
  if (!ids) {
    ids = (async () => {
      const runtime = await startUserRuntime(stack, { l1: false });
      const created: string[] = [];
      for (let i = 0; i < SEED_USERS; i++) {
        const id = randomUUID();
        const result = await runtime.service.create({
          id,
          email: `bench-${i}@example.com`,
          name: `Bench User ${i}`,
        });
        if (result.kind !== 'created') throw new Error(`seeding user ${i}: ${result.kind}`);
        created.push(id);
      }
      return created;
    })();
    seeded.set(stack, ids);
  }
  return ids;
}

/** The Redis keys of one user's cache slot (entry, lease, floor), from the user service's key builder. */
export function userCacheKeys(
  runtime: UserRuntime,
  id: string,
): { entry: string; lease: string; floor: string } {
  return new UserCacheKeys(runtime.keyspace).forUser(id);
}

export type { UserRuntime };
