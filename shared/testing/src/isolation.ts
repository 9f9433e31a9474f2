import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A short random namespace for keys, queues and streams, so tests sharing a server never collide. */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(5).toString('hex')}`;
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
