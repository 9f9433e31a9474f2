import { stateRedisTarget } from '@redwire/config';
import {
  AUTH_CONSUMER_GROUP,
  AUTH_EVENTS_STREAM,
  authEventsKey,
  USER_EVENTS_STREAM,
  userEventsKey,
} from '@redwire/contracts';
import {
  deriveKey,
  IdentitySigner,
  IdentityVerifier,
  KEY_LABELS,
  waitForDependencies,
} from '@redwire/http-kit';
import { createLogger, createMetrics, type Logger, type Metrics } from '@redwire/observability';
import { Database } from '@redwire/postgres-kit';
import {
  checkRedis,
  Keyspace,
  type RedisClient,
  RedisConnections,
  StreamConsumer,
  StreamPublisher,
  waitForReady,
} from '@redwire/redis-kit';
import { SessionCookie, SessionStore } from '@redwire/sessions';
import type { Express } from 'express';
import type pg from 'pg';
import { AccountRepository, type AccountRepositoryHooks } from './accounts/account.repository';
import { AccountAdminService } from './accounts/account-admin.service';
import { AccountSync } from './accounts/account-sync';
import { createApp } from './app';
import { AuthService } from './auth/auth.service';
import { createAuthMetrics } from './auth.metrics';
import type { AuthConfig } from './config';
import { RevocationPublisher } from './events/revocation.publisher';
import { userEventsHandler } from './events/user-events.handler';
import { PasswordHasher } from './passwords/password.hasher';
import { PendingRegistrationReaper } from './registration/pending-registration.reaper';
import { RegistrationService } from './registration/registration.service';
import { UserServiceClient } from './registration/user-service.client';

import { LoginThrottle } from './throttle/login-throttle';

/** Test seams of {@link createAuthRuntime}; production passes none. */
export interface AuthRuntimeOverrides {
  logger?: Logger;
  repositoryHooks?: AccountRepositoryHooks;
  /** Called on every password verification (tests count them). */
  onVerify?: (kind: 'account' | 'dummy') => void;
  /** Called once a user.deleted event has been handled. */
  onUserDeleted?: (userId: string) => void;
}

/** The auth service's object graph, built from config by main.ts and by the in-process tests. */
export interface AuthRuntime {
  readonly app: Express;
  readonly logger: Logger;
  readonly pool: pg.Pool;
  readonly redis: RedisConnections;
  readonly state: RedisClient;
  readonly accounts: AccountRepository;
  readonly store: SessionStore;
  readonly auth: AuthService;
  readonly registration: RegistrationService;
  /** Role, tier and status changes (the admin route and the operator's CLI). */
  readonly admin: AccountAdminService;
  readonly reaper: PendingRegistrationReaper;
  readonly sync: AccountSync;
  readonly metrics: Metrics;
  /** Wire to the shutdown handle (`() => shutdown.isShuttingDown()`) so /readyz reports draining. */
  setShuttingDown(check: () => boolean): void;
  /** Connects Redis, warms the dummy hash, starts the user-events consumer, the reaper and the sync reconciler. */
  start(): Promise<void>;
  /** Stops background work and closes Redis and PostgreSQL (after the HTTP server drained). */
  close(): Promise<void>;
}

/** Builds (does not start) the auth service. */
export function createAuthRuntime(config: AuthConfig, overrides: AuthRuntimeOverrides = {}): AuthRuntime {
  const logger = overrides.logger ?? createLogger({ service: 'redwire-auth', level: config.LOG_LEVEL });
  const metrics = createMetrics({ service: 'redwire-auth' });
  const authMetrics = createAuthMetrics(metrics.registry);
  const namespace = config.REDIS_NAMESPACE ? { namespace: config.REDIS_NAMESPACE } : {};
  const authKeys = new Keyspace({ service: 'auth', ...namespace });

  const db = new Database({
    connectionString: config.DATABASE_URL,
    applicationName: 'redwire-auth',
    max: config.DB_POOL_MAX,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT,
    connectionTimeoutMs: config.DB_CONNECT_TIMEOUT,
    onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection failed'),
  });
  const { pool } = db;
  const accounts = new AccountRepository(db, overrides.repositoryHooks);

  const redis = new RedisConnections({
    service: 'auth',
    state: stateRedisTarget(config),
    client: { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT },
    onError: (error, connection) => logger.debug({ err: error, connection }, 'redis connection error'),
  });
  const state = redis.request('state');
  const store = new SessionStore({
    redis: state,
    ...namespace,
    idleTimeoutMs: config.SESSION_IDLE_TIMEOUT,
    absoluteTimeoutMs: config.SESSION_ABSOLUTE_TIMEOUT,
    maxSessionsPerUser: config.SESSION_MAX_PER_USER,
  });

  const hasher = new PasswordHasher({
    params: {
      memoryKib: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    },
    concurrency: config.PASSWORD_HASH_CONCURRENCY,
    maxQueue: config.PASSWORD_HASH_QUEUE,
    onVerify: (kind) => {
      authMetrics.verification(kind);
      overrides.onVerify?.(kind);
    },
  });
  const throttle = new LoginThrottle({
    redis: state,
    keyspace: authKeys,
    // A key of its own, derived so that no extra secret has to be configured.
    hmacKey: deriveKey(config.IDENTITY_SIGNING_KEY, KEY_LABELS.loginThrottle),
    backoffAfter: config.LOGIN_BACKOFF_AFTER,
    baseMs: config.LOGIN_BACKOFF_BASE,
    maxMs: config.LOGIN_BACKOFF_MAX,
    accountBackoffAfter: config.LOGIN_BACKOFF_ACCOUNT_AFTER,
    accountCeilingMs: config.LOGIN_BACKOFF_ACCOUNT_CEILING,
    windowMs: config.LOGIN_FAILURE_WINDOW,
    knownAddressTtlMs: config.LOGIN_KNOWN_ADDRESS_TTL,
  });

  const revocations = new RevocationPublisher(
    new StreamPublisher({
      client: state,
      stream: authEventsKey(config.REDIS_NAMESPACE),
      destinationName: AUTH_EVENTS_STREAM,
      maxLen: 10_000,
    }),
    logger,
  );
  const sync = new AccountSync({
    accounts,
    store,
    revocations,
    logger,
    intervalMs: config.ACCOUNT_SYNC_INTERVAL,
  });
  const users = new UserServiceClient({
    baseUrl: config.USER_SERVICE_URL,
    signer: new IdentitySigner({ key: config.IDENTITY_SIGNING_KEY }),
    timeoutMs: config.USER_SERVICE_TIMEOUT,
  });
  const registration = new RegistrationService({
    accounts,
    users,
    hasher,
    logger,
    onOutcome: authMetrics.registration,
  });
  const reaper = new PendingRegistrationReaper({
    accounts,
    registration,
    logger,
    pendingTtlMs: config.PENDING_REGISTRATION_TTL,
  });
  const auth = new AuthService({
    accounts,
    store,
    sync,
    revocations,
    hasher,
    throttle,
    logger,
    onLogin: authMetrics.login,
  });

  const consumer = new StreamConsumer({
    connection: redis.blocking('user-events'),
    stream: userEventsKey(config.REDIS_NAMESPACE),
    group: AUTH_CONSUMER_GROUP,
    destinationName: USER_EVENTS_STREAM,
    // A group created after events were published must still see every deletion.
    startId: '0',
    handler: userEventsHandler({
      accounts,
      store,
      users,
      revocations,
      logger,
      ...(overrides.onUserDeleted ? { onUserDeleted: overrides.onUserDeleted } : {}),
    }),
    registry: metrics.registry,
    metricsClient: state,
    onError: (error, info) => logger.warn({ err: error, ...info }, 'user-events consumer error'),
  });

  const admin = new AccountAdminService(accounts, sync);
  let isShuttingDown = () => false;
  const app = createApp({
    auth,
    registration,
    admin,
    verifier: new IdentityVerifier({ key: config.IDENTITY_SIGNING_KEY, audience: 'auth' }),
    cookie: new SessionCookie({ secure: config.SESSION_COOKIE_SECURE }),
    logger,
    metrics,
    trustProxy: config.TRUST_PROXY,
    requestBudgetMs: config.REQUEST_BUDGET,
    isShuttingDown: () => isShuttingDown(),
    readiness: {
      postgres: {
        run: async () => {
          await pool.query('SELECT 1');
          return undefined;
        },
      },
      redis: {
        run: async () => {
          const health = await checkRedis(state, { timeoutMs: 500 });
          if (!health.ok) throw new Error(health.error ?? 'state redis unavailable');
          return undefined;
        },
      },
    },
  });

  return {
    app,
    logger,
    pool,
    redis,
    state,
    accounts,
    store,
    auth,
    registration,
    admin,
    reaper,
    sync,
    metrics,
    setShuttingDown(check) {
      isShuttingDown = check;
    },
    async start() {
      await Promise.all([
        waitForDependencies(
          [{ name: 'state Redis', ready: (ms) => waitForReady(state, ms), meanwhile: 'auth answers 503' }],
          { logger },
        ),
        hasher.warmUp(),
      ]);
      // Not awaited: with Redis down the consumer keeps retrying in the background.
      void consumer.start();
      reaper.start();
      sync.start();
    },
    async close() {
      await Promise.all([reaper.stop(), sync.stop(), consumer.close()]);
      await redis.close();
      await pool.end();
    },
  };
}
