import path from 'node:path';
import { runSchemaMigrations } from '@redwire/postgres-kit';

/** The schema the user service owns; its migration bookkeeping lives there too, apart from auth's. */
export const USERS_SCHEMA = 'users';

/** Advisory lock id of this service's migrations (postgres-kit: distinct per service sharing a database). */
const MIGRATION_LOCK_ID = 0x7573_6572; // "user"

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** PostgreSQL connection string of a role that owns (or may create) the `users` schema. */
  databaseUrl: string;
  /** Receives one line per applied migration. @default no output */
  log?: (line: string) => void;
}

/** Applies every pending migration of the `users` schema in one transaction; returns the names applied. */
export function runMigrations({ databaseUrl, log }: RunMigrationsOptions): Promise<string[]> {
  return runSchemaMigrations({
    databaseUrl,
    schema: USERS_SCHEMA,
    dir: path.join(__dirname, 'migrations'),
    lockId: MIGRATION_LOCK_ID,
    ...(log ? { log } : {}),
  });
}
