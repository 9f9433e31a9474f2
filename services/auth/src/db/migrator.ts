import path from 'node:path';
import { runner } from 'node-pg-migrate';

/** The schema the auth service owns; its migration bookkeeping lives there too, apart from the user service's. */
export const AUTH_SCHEMA = 'auth';

/**
 * Advisory lock id for this service's migrations. node-pg-migrate's default id is shared by every project
 * using it, so the user service's migrations (same database) would make ours fail instead of wait.
 */
const MIGRATION_LOCK_ID = 0x6175_7468; // "auth"

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** PostgreSQL connection string of a role that owns (or may create) the `auth` schema. */
  databaseUrl: string;
  /** Receives one line per applied migration. @default no output */
  log?: (line: string) => void;
}

/**
 * Applies every pending migration of the `auth` schema in one transaction and returns the names applied.
 * Concurrent callers (several replicas, parallel tests) wait for the lock instead of failing.
 */
export async function runMigrations({ databaseUrl, log }: RunMigrationsOptions): Promise<string[]> {
  const quiet = () => {};
  const applied = await runner({
    databaseUrl,
    dir: path.join(__dirname, 'migrations'),
    direction: 'up',
    schema: AUTH_SCHEMA,
    createSchema: true,
    migrationsSchema: AUTH_SCHEMA,
    createMigrationsSchema: true,
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    lockValue: MIGRATION_LOCK_ID,
    advisoryLockMode: 'wait',
    logger: { debug: quiet, info: log ?? quiet, warn: log ?? quiet, error: log ?? quiet },
  });
  return applied.map((m) => m.name);
}
