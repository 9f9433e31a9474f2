// Entry point the local stack runner (and deployments) call before starting the service:
// `node dist/migrate.js` with DATABASE_URL set. Exits 0 when the schema is current.
import { runMigrations } from './db/migrator';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const applied = await runMigrations({ databaseUrl, log: (line) => process.stdout.write(`${line}\n`) });
  process.stdout.write(`users schema is current (${applied.length} migration(s) applied)\n`);
}

main().catch((error: unknown) => {
  // Only the message: a connection error may echo the URL (and its password) in its stack or fields.
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
