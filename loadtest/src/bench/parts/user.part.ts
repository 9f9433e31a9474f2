// The user service as the suite drives it: its runtime built through its own factory and config loader
// (exactly what main.ts does), from its public entry, and its compiled entry points for the child-process
// variants.
import { randomUUID } from 'node:crypto';
import {
  createUserRuntime,
  loadServiceConfig,
  UserCacheKeys,
  type UserRuntime,
  type UserRuntimeOverrides,
} from '@redwire/user';
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
    // Entries outlive the run (default 5 min ± 10 %), so the hit-path cases never meet an expiry.
    USER_CACHE_TTL: '3600000',
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
  options: {
    readonly l1: boolean;
    readonly overrides?: UserRuntimeOverrides;
    /** More environment on top of {@link userServiceEnv}. */
    readonly env?: Record<string, string> | undefined;
  },
): Promise<UserRuntime> {
  const config = loadServiceConfig(
    userServiceEnv(stack, { USER_CACHE_L1: options.l1 ? 'true' : 'false', ...options.env }),
  );
  const runtime = createUserRuntime(config, options.overrides ?? {});
  stack.onClose(() => runtime.close());
  await runtime.start();
  // The cache serves after its start-up sweep; reads before that go around it.
  await runtime.cache.ready(10_000);
  return runtime;
}

/** Users the suite creates per set; reads (and writes) cycle over them. */
export const SEED_USERS = 100;

/** Who uses a set: reads never see the writes of the lag case, so every read stays a hit. */
export type UserSet = 'reads' | 'writes';

const seeded = new WeakMap<BenchStack, Map<UserSet, Promise<string[]>>>();
const shared = new WeakMap<BenchStack, Promise<UserRuntime>>();

/** One plain in-process runtime (L1 off, no hooks) per run, for seeding, warming and reading. */
export function sharedUserRuntime(stack: BenchStack): Promise<UserRuntime> {
  let runtime = shared.get(stack);
  if (!runtime) {
    runtime = startUserRuntime(stack, { l1: false });
    shared.set(stack, runtime);
  }
  return runtime;
}

/** {@link SEED_USERS} users created through the user service (row + outbox), shared by the cases of a run. */
export function seedUsers(stack: BenchStack, set: UserSet = 'reads'): Promise<string[]> {
  const sets = seeded.get(stack) ?? new Map<UserSet, Promise<string[]>>();
  seeded.set(stack, sets);
  let ids = sets.get(set);
  if (!ids) {
    ids = (async () => {
      const runtime = await sharedUserRuntime(stack);
      const created: string[] = [];
      for (let i = 0; i < SEED_USERS; i++) {
        const id = randomUUID();
        const email = `bench-${set}-${i}@example.com`;
        const result = await runtime.service.create({ id, email, name: `Bench User ${i}` });
        if (result.kind !== 'created') throw new Error(`seeding user ${i}: ${result.kind}`);
        created.push(id);
      }
      return created;
    })();
    sets.set(set, ids);
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
