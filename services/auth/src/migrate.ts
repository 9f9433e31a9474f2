// Entry point the local stack runner (and deployments) call before starting the service:
// `node dist/migrate.js` with DATABASE_URL set. Exits 0 when the schema is current.
import { loadMigrateConfig } from './config';
import { runMigrations } from './db/migrator';

async function main(): Promise<void> {
  const { DATABASE_URL } = loadMigrateConfig(process.env);
  const applied = await runMigrations({
    databaseUrl: DATABASE_URL,
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`auth schema is current (${applied.length} migration(s) applied)\n`);
}

main().catch((error: unknown) => {
  // Only the message: a driver error may carry the connection string (and its password) in other fields.
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
