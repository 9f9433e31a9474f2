import {
  type DeepReadonly,
  type Env,
  env,
  loadConfig,
  refuseDevSecrets,
  requireOneStateRedis,
  runModeEnv,
  stateRedisEnv,
} from '@redwire/config';
import { z } from 'zod';

// The only place the auth service reads the environment: read once at start-up, validated against one schema
// (one error lists every bad key), and passed down as a frozen object.

const serviceSchema = z
  .object({
    ...runModeEnv,
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: env.port().default(8082),
    LOG_LEVEL: env.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: env.postgresUrl(),
    /**
     * State Redis (noeviction): sessions, login back-off, the user-events stream. REDIS_URL (one server) or
     * REDIS_CLUSTER_NODES (Redis Cluster seeds, `host:port` or `redis://` URLs, comma-separated), exactly one.
     */
    ...stateRedisEnv,
    /** Prefix of every Redis key and stream; the gateway and the user service must use the same one. */
    REDIS_NAMESPACE: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/)
      .optional(),
    REDIS_COMMAND_TIMEOUT: env.duration().default(250),
    IDENTITY_SIGNING_KEY: env.secret(32),
    /**
     * One request's budget for all its dependency work (hashing queue, PostgreSQL, Redis, the user service);
     * past it the request answers 503 with Retry-After. The gateway's UPSTREAM_TIMEOUT must stay above it.
     */
    REQUEST_BUDGET: env.duration().default(2000),
    USER_SERVICE_URL: env.httpUrl().default('http://127.0.0.1:8081'),
    /** Deadline of each call to the user service's internal API. */
    USER_SERVICE_TIMEOUT: env.duration().default(2000),
    DB_POOL_MAX: env.int(1, 200).default(10),
    DB_STATEMENT_TIMEOUT: env.duration().default(1500),
    DB_CONNECT_TIMEOUT: env.duration().default(1000),
    /** Express `trust proxy`: whose X-Forwarded-For to believe for the client ip shown in session lists. */
    TRUST_PROXY: z.string().trim().min(1).default('loopback, linklocal, uniquelocal'),
    SESSION_IDLE_TIMEOUT: env.duration().default(1_800_000),
    SESSION_ABSOLUTE_TIMEOUT: env.duration().default(28_800_000),
    SESSION_MAX_PER_USER: env.int(1, 1000).default(10),
    /** false: cookie `sid` without `Secure` (plain http on a host other than localhost). */
    SESSION_COOKIE_SECURE: env.bool().default(true),
    /** Argon2id cost; OWASP's floor is m=19456 KiB, t=2, p=1. Raising it re-hashes at each user's next login. */
    ARGON2_MEMORY_KIB: env.int(19_456, 4_194_304).default(19_456),
    ARGON2_TIME_COST: env.int(2, 100).default(2),
    ARGON2_PARALLELISM: env.int(1, 16).default(1),
    /** Hashes computed at once; more wait (bounded queue) so a login flood cannot exhaust memory. */
    PASSWORD_HASH_CONCURRENCY: env.int(1, 64).default(4),
    PASSWORD_HASH_QUEUE: env.int(0, 100_000).default(256),
    /** The failed login of one (email, client address) that starts its back-off; each further one doubles it. */
    LOGIN_BACKOFF_AFTER: env.int(1, 100).default(5),
    LOGIN_BACKOFF_BASE: env.duration().default(1000),
    /** Longest back-off of one (email, client address). */
    LOGIN_BACKOFF_MAX: env.duration().default(900_000),
    /** The failed login of an account, over every address, that starts the account-wide back-off. */
    LOGIN_BACKOFF_ACCOUNT_AFTER: env.int(1, 1000).default(20),
    /** Longest account-wide back-off: the most a third party can make the owner's other addresses wait. */
    LOGIN_BACKOFF_ACCOUNT_CEILING: env.duration().default(60_000),
    /** Failures are forgotten after this long without a new one. */
    LOGIN_FAILURE_WINDOW: env.duration().default(900_000),
    /** An address that logged in successfully is exempt from the account-wide back-off this long. */
    LOGIN_KNOWN_ADDRESS_TTL: env.duration().default(2_592_000_000),
    /** A registration still pending after this long was interrupted: the reaper undoes it. */
    PENDING_REGISTRATION_TTL: env.duration().default(300_000),
    /** How often unsynced account changes (Redis was down when they were made) are retried. */
    ACCOUNT_SYNC_INTERVAL: env.duration().default(2000),
  })
  .superRefine(...requireOneStateRedis)
  .refine(
    (c) =>
      c.LOGIN_BACKOFF_MAX >= c.LOGIN_BACKOFF_BASE && c.LOGIN_BACKOFF_ACCOUNT_CEILING >= c.LOGIN_BACKOFF_BASE,
    {
      path: ['LOGIN_BACKOFF_BASE'],
      message: 'must not exceed LOGIN_BACKOFF_MAX or LOGIN_BACKOFF_ACCOUNT_CEILING',
    },
  )
  .refine((c) => c.SESSION_ABSOLUTE_TIMEOUT >= c.SESSION_IDLE_TIMEOUT, {
    path: ['SESSION_ABSOLUTE_TIMEOUT'],
    message: 'must be at least SESSION_IDLE_TIMEOUT',
  })
  .refine((c) => c.PENDING_REGISTRATION_TTL > 2 * c.USER_SERVICE_TIMEOUT + c.DB_STATEMENT_TIMEOUT, {
    path: ['PENDING_REGISTRATION_TTL'],
    message: 'must exceed the longest registration (two user-service calls and a statement)',
  });

const migrateSchema = z.object({ ...runModeEnv, DATABASE_URL: env.postgresUrl() });

export type AuthConfig = DeepReadonly<z.output<typeof serviceSchema>>;

/** The auth service's configuration (throws one ConfigError listing every bad key). */
export function loadAuthConfig(source: Env): AuthConfig {
  return refuseDevSecrets(loadConfig(serviceSchema, source));
}

/** The migration entry point's configuration. */
export function loadMigrateConfig(source: Env): { readonly DATABASE_URL: string } {
  return refuseDevSecrets(loadConfig(migrateSchema, source));
}
