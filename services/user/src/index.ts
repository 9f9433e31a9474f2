// What other parts of the repository use of the user service: its runtime factories and config loaders
// (the bench and the compose checks run service code in-process), its migrations, queue and job names
// (the ACL checks and the chaos harness inspect them), its cache key layout and the guard of a cached User
// (the bench measures @redwire/cache with it). Stream names and event formats are @redwire/contracts'. main.ts, worker.ts and migrate.ts run it.
export { isCachedUser } from './cache/cached-user.guard';
export { USER_CACHE_NAME, UserCacheKeys } from './cache/user-cache.keys';
export {
  loadMigrateConfig,
  loadQueuesConfig,
  loadServiceConfig,
  loadWorkerConfig,
  type QueuesConfig,
  type ServiceConfig,
  type WorkerConfig,
} from './config';
export { runMigrations, USERS_SCHEMA } from './db/migrator';
export { INVALIDATE_USER_JOB, invalidateUserJobOptions } from './jobs/invalidate-user.job';
export { CACHE_INVALIDATION_QUEUE, OUTBOX_MAINTENANCE_QUEUE, queuePrefix } from './jobs/queues';
export { createQueueDashboard, QUEUE_DASHBOARD_PATH } from './queue-dashboard';
export { createUserRuntime, type UserRuntime, type UserRuntimeOverrides } from './user.runtime';
export type { User } from './users/user.model';
export { createWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOverrides } from './worker.runtime';
