import { spawnSync } from 'node:child_process';
import { runMigrations as migrateAuth } from '@redwire/auth';
import { type PostgresServer, startPostgresServer } from '@redwire/launchers';
import { runMigrations as migrateUser } from '@redwire/user';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCompose } from './support/compose-model';
import { envExampleValue, repoPath } from './support/repo';

// infra/postgres/init runs once in the postgres container (/docker-entrypoint-initdb.d) as the superuser.
// Here it runs the same way against a server of its own, since it creates a cluster-wide role.

const SCRIPT = 'infra/postgres/init/10-redwire-role.sh';
let server: PostgresServer;

/** Runs the init script as the image's entrypoint would, with psql pointed at `server`. */
function runInit(password: string) {
  const admin = new URL(server.adminUrl);
  return spawnSync('sh', [repoPath(SCRIPT)], {
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      PGHOST: admin.hostname,
      PGPORT: admin.port,
      POSTGRES_USER: decodeURIComponent(admin.username),
      POSTGRES_DB: 'postgres',
      REDWIRE_DB_PASSWORD: password,
    },
  });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  server = await startPostgresServer();
});
afterAll(async () => {
  await server?.stop({ remove: true });
});

describe('the PostgreSQL init script', () => {
  it('when compose starts postgres, then the script is mounted into the entrypoint’s init folder with the password it reads', () => {
    const postgres = loadCompose().value.services.postgres;
    expect(postgres?.volumes).toContain('./infra/postgres/init:/docker-entrypoint-initdb.d:ro');
    expect(postgres?.environment).toMatchObject({
      REDWIRE_DB_PASSWORD: envExampleValue('REDWIRE_DB_PASSWORD'),
    });
  });

  it('when it runs on a fresh cluster, then `redwire` owns the database, is no superuser, and both services migrate as it', async () => {
    // A quote in the password proves it reaches SQL as a literal, not as text spliced into a statement.
    const result = runInit("dev-only-it's-a-password");
    expect(result.status, result.stderr).toBe(0);

    const [role] = await query<{
      rolsuper: boolean;
      rolcreatedb: boolean;
      rolcreaterole: boolean;
      scram: boolean;
    }>(
      server.adminUrl,
      "SELECT rolsuper, rolcreatedb, rolcreaterole, rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = 'redwire'",
    );
    expect(role).toEqual({ rolsuper: false, rolcreatedb: false, rolcreaterole: false, scram: true });
    const [database] = await query<{ owner: string; public_connect: boolean }>(
      server.adminUrl,
      `SELECT pg_get_userbyid(datdba) AS owner, has_database_privilege('public', 'redwire', 'CONNECT') AS public_connect
         FROM pg_database WHERE datname = 'redwire'`,
    );
    expect(database).toEqual({ owner: 'redwire', public_connect: false });

    const appUrl = server.urlFor('redwire', 'redwire');
    await migrateUser({ databaseUrl: appUrl });
    await migrateAuth({ databaseUrl: appUrl });
    const schemas = await query<{ nspname: string; owner: string }>(
      appUrl,
      "SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('users', 'auth') ORDER BY 1",
    );
    expect(schemas).toEqual([
      { nspname: 'auth', owner: 'redwire' },
      { nspname: 'users', owner: 'redwire' },
    ]);
  });

  it('when the password is missing, then it fails before touching the cluster', () => {
    const result = runInit('');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('REDWIRE_DB_PASSWORD');
  });
});
