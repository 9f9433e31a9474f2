import {
  functionSchema,
  isCluster,
  type RedisClient,
  redisClientSchema,
  registrySchema,
  resolveOptions,
} from '@redwire/redis-kit';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { type PolicyOptions, policyListSchema, policySchema } from './policy';
import { isValidPrefix } from './rate-limit-keys';

/** Settings of the circuit breaker in front of Redis (redis-kit's `CircuitBreaker`). */
export interface RateLimiterBreakerOptions {
  /** The `name` label of `redwire_circuit_breaker_state` (with `registry`). @default 'ratelimit' */
  readonly name?: string;
  /** Open when more than this percentage of the calls in the window failed... @default 50 */
  readonly failureThresholdPercentage?: number;
  /** ...and at least this many calls were made in the window. @default 20 */
  readonly minimumCalls?: number;
  /** The rolling window over which calls and failures are counted, in ms. @default 5000 */
  readonly windowMs?: number;
  /** Slices of the window (`windowMs` must be a multiple). @default 5 */
  readonly windowBuckets?: number;
  /** How long it stays open before one probe call goes through, in ms. @default 1000 */
  readonly openDurationMs?: number;
}

/** Options of `RateLimiter`: everything but `redis` and `policies` has a default. */
export interface RateLimiterOptions {
  /**
   * An ioredis `Redis` or `Cluster` client that never sends a decision late or twice: it must not queue
   * commands while disconnected (`enableOfflineQueue: false`) nor re-send unanswered ones after a reconnect
   * (`autoResendUnfulfilledCommands: false`; on a Cluster, in `redisOptions`, plus
   * `retryDelayOnFailover: 0`). redis-kit's `createRedisClient` makes such clients. Other clients are
   * refused, because a re-sent script spends quota a second time. The caller owns (and closes) it.
   */
  readonly redis: RedisClient;
  /** The policies every call is decided against (or the ones it names), at most 64, names unique. */
  readonly policies: readonly PolicyOptions[];
  /** Put in front of every key: `<prefix>:{<identity>}:<policy>` (`a-z A-Z 0-9 . _ -` and `:`). @default 'ratelimit' */
  readonly prefix?: string;
  /**
   * Deadline of one decision in Redis, in ms, from when its script call is sent (on a cluster including a
   * refund); past it, each policy's `onRedisError` decides. @default 50
   */
  readonly deadlineMs?: number;
  /**
   * Most decisions sent in one script call (the calls arriving within one event-loop turn are coalesced,
   * each still decided on its own); 1 turns coalescing off. On a cluster one call holds one hash slot's
   * identities only (the same user, address or global key). @default 16
   */
  readonly maxBatch?: number;
  /** The breaker that skips Redis while it keeps failing, so calls stop paying the deadline; false: none. @default {} */
  readonly breaker?: RateLimiterBreakerOptions | false;
  /** Keys remembered in-process as over a limit, decided without Redis until their wait ends; 0: off. @default 10000 */
  readonly denyCacheSize?: number;
  /** Processes sharing the limits; while Redis is down, a `local` policy allows 1/instances of its rate here. @default 1 */
  readonly instances?: number;
  /** Most keys the in-process fallback limiter tracks (LRU). @default 10000 */
  readonly localMaxEntries?: number;
  /** Registers the limiter's Prometheus metrics (and the breaker's state gauge) here. @default none */
  readonly registry?: Registry;
  /** Name prefix of those metrics (`<prefix>_decisions_total`, ...). @default 'ratelimit' */
  readonly metricPrefix?: string;
  /** Monotonic clock in ms of the deny cache and the local limiter; a test seam. @default performance.now */
  readonly clock?: () => number;
}

const positiveInt = () => z.int().min(1);

/** Why this client could send a decision late or twice; empty when it cannot. */
function replayRisks(client: RedisClient): string[] {
  const risks: string[] = [];
  if (isCluster(client)) {
    const options = client.options ?? {};
    if (options.enableOfflineQueue !== false) risks.push('enableOfflineQueue must be false');
    if (options.retryDelayOnFailover !== 0) risks.push('retryDelayOnFailover must be 0');
    if (options.redisOptions?.autoResendUnfulfilledCommands !== false)
      risks.push('redisOptions.autoResendUnfulfilledCommands must be false');
  } else {
    const options = client.options ?? {};
    if (options.enableOfflineQueue !== false) risks.push('enableOfflineQueue must be false');
    if (options.autoResendUnfulfilledCommands !== false)
      risks.push('autoResendUnfulfilledCommands must be false');
  }
  return risks;
}

const redisSchema = redisClientSchema.superRefine((client, ctx) => {
  for (const risk of replayRisks(client)) {
    ctx.addIssue({ code: 'custom', message: `${risk} (a re-sent decision would spend quota twice)` });
  }
});

const schema = z.strictObject({
  redis: redisSchema,
  policies: policyListSchema(policySchema),
  prefix: z
    .string()
    .refine(isValidPrefix, 'must be names of A-Z a-z 0-9 . _ - separated by :')
    .default('ratelimit'),
  deadlineMs: positiveInt().max(60_000).default(50),
  maxBatch: positiveInt().max(1024).default(16),
  breaker: z
    .union([
      z.literal(false),
      z
        .strictObject({
          name: z.string().min(1).default('ratelimit'),
          failureThresholdPercentage: z.number().min(1).max(100).default(50),
          minimumCalls: positiveInt().default(20),
          windowMs: positiveInt().default(5000),
          windowBuckets: positiveInt().default(5),
          openDurationMs: positiveInt().default(1000),
        })
        .refine((b) => b.windowMs % b.windowBuckets === 0, 'windowMs must be a multiple of windowBuckets'),
    ])
    .default({
      name: 'ratelimit',
      failureThresholdPercentage: 50,
      minimumCalls: 20,
      windowMs: 5000,
      windowBuckets: 5,
      openDurationMs: 1000,
    }),
  denyCacheSize: z.int().min(0).max(10_000_000).default(10_000),
  instances: positiveInt().max(10_000).default(1),
  localMaxEntries: positiveInt().max(10_000_000).default(10_000),
  registry: registrySchema.optional(),
  metricPrefix: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus metric name')
    .default('ratelimit'),
  clock: functionSchema<() => number>().optional(),
});

/** The options with every default applied. */
export type ResolvedRateLimiterOptions = z.output<typeof schema>;

/** Applies the defaults; throws one InvalidOptionsError listing every bad field. */
export function resolveRateLimiterOptions(options: RateLimiterOptions): ResolvedRateLimiterOptions {
  return resolveOptions('RateLimiter', schema, options);
}
