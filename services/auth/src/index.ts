// What other parts of the repository use of the auth service: its runtime factory and config loaders (the
// compose checks and the gateway's end-to-end tests run it in-process), its migrations, and the admin
// commands that grant the first admin, and its revocation publisher (the ACL checks run it as auth's Redis user). main.ts, admin.ts and migrate.ts run it. Stream names and event
// formats are @redwire/contracts'.
export { type CreateOutcome, createAdmin, type GrantOutcome, grantAdmin } from './accounts/admin-commands';
export { type AuthRuntime, type AuthRuntimeOverrides, createAuthRuntime } from './auth.runtime';
export { type AuthConfig, loadAuthConfig, loadMigrateConfig } from './config';
export { AUTH_SCHEMA, runMigrations } from './db/migrator';
export { RevocationPublisher } from './events/revocation.publisher';
