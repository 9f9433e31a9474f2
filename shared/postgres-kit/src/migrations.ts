import { runner } from 'node-pg-migrate';

/** Options of {@link runSchemaMigrations}. */
export interface SchemaMigrationOptions {
  /** PostgreSQL connection string of a role that owns (or may create) `schema`. */
  readonly databaseUrl: string;
  /** The schema the service owns; its migration bookkeeping (`pgmigrations`) lives there too. */
  readonly schema: string;
  /** The folder of the service's migration files. */
  readonly dir: string;
  /**
   * Advisory lock id of this service's migrations. node-pg-migrate's default id is shared by every project
   * using it, so two services migrating one database would make each other fail instead of wait.
   */
  readonly lockId: number;
  /** Receives one line per applied migration. @default no output */
  readonly log?: (line: string) => void;
}

/**
 * Applies every pending migration of `schema` in one transaction and returns the names applied. Concurrent
 * callers (several replicas, parallel tests) wait for the lock instead of failing.
 */
export async function runSchemaMigrations(options: SchemaMigrationOptions): Promise<string[]> {
  const quiet = () => {};
  const log = options.log ?? quiet;
  const applied = await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir,
    direction: 'up',
    schema: options.schema,
    createSchema: true,
    migrationsSchema: options.schema,
    createMigrationsSchema: true,
    migrationsTable: 'pgmigrations',
    checkOrder: true,
    singleTransaction: true,
    lockValue: options.lockId,
    advisoryLockMode: 'wait',
    logger: { debug: quiet, info: log, warn: log, error: log },
  });
  return applied.map((m) => m.name);
}
