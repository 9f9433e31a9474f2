import path from 'node:path';
import { runSchemaMigrations } from '@redwire/postgres-kit';

/** The schema the auth service owns; its migration bookkeeping lives there too, apart from the user service's. */
export const AUTH_SCHEMA = 'auth';

/** Advisory lock id of this service's migrations (postgres-kit: distinct per service sharing a database). */
const MIGRATION_LOCK_ID = 0x6175_7468; // "auth"

/** Options of {@link runMigrations}. */
export interface RunMigrationsOptions {
  /** PostgreSQL connection string of a role that owns (or may create) the `auth` schema. */
  databaseUrl: string;
  /** Receives one line per applied migration. @default no output */
  log?: (line: string) => void;
}

/** Applies every pending migration of the `auth` schema in one transaction; returns the names applied. */
export function runMigrations({ databaseUrl, log }: RunMigrationsOptions): Promise<string[]> {
  return runSchemaMigrations({
    databaseUrl,
    schema: AUTH_SCHEMA,
    dir: path.join(__dirname, 'migrations'),
    lockId: MIGRATION_LOCK_ID,
    ...(log ? { log } : {}),
  });
}
