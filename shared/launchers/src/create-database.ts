import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database {@link createDatabase} made, and how to drop it. */
export interface CreatedDatabase {
  readonly name: string;
  /** The connection string: `adminUrl` with the new database's name. */
  readonly url: string;
  /** DROP DATABASE … WITH (FORCE): ends its connections first. */
  drop(): Promise<void>;
}

/** Creates an empty database on the server behind `adminUrl` (a superuser connection). @param name default `db<random hex>` */
export async function createDatabase(
  adminUrl: string,
  name = `db${randomBytes(5).toString('hex')}`,
): Promise<CreatedDatabase> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
