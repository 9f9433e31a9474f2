import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A short random namespace for keys, queues and streams, so tests sharing a server never collide. */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
}

/** Creates an empty database on the server behind `adminUrl` and returns its connection string and a drop function. */
export async function createDatabase(adminUrl: string, name = uniquePrefix('db')) {
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

/**
 * A small pg Pool for a test's own queries. `pool.end()` resolves before its connections have closed, so a
 * `drop()` right after it can terminate one mid-close (57P01); without an 'error' listener that error
 * would surface as an uncaught exception in whichever test runs then.
 */
export function testPool(connectionString: string, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {});
  return pool;
}
