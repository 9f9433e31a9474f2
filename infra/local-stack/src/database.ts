import pg from 'pg';

/**
 * Creates the application role and database on a fresh cluster (idempotent). The services connect as
 * `redwire`, which owns its database but is not a superuser.
 */
export async function ensureAppDatabase(adminUrl: string, role: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    const roleExists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (roleExists.rowCount === 0) await admin.query(`CREATE ROLE "${role}" LOGIN`);
    const dbExists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (dbExists.rowCount === 0) await admin.query(`CREATE DATABASE "${database}" OWNER "${role}"`);
  } finally {
    await admin.end();
  }
}
