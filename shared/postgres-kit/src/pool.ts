import pg from 'pg';

/** Options of {@link createPool}. */
export interface PoolOptions {
  /** PostgreSQL connection string. */
  readonly connectionString: string;
  /** `application_name`, visible in pg_stat_activity, e.g. `redwire-user`. */
  readonly applicationName: string;
  /** Connections in the pool. @default 10 */
  readonly max?: number;
  /** Server-side cap on any single statement (`statement_timeout`, also `lock_timeout`). @default 1500 */
  readonly statementTimeoutMs?: number;
  /** Deadline for opening a connection, and for waiting for a free one. @default 1000 */
  readonly connectionTimeoutMs?: number;
  /**
   * The server kills a session idle inside a transaction this long, so a stuck request (or a transaction
   * waiting on Redis, like auth's user-deletion fence) cannot hold row locks for long. @default 5000
   */
  readonly idleInTransactionTimeoutMs?: number;
  /**
   * How often the server checks, while a statement runs, that the client is still connected
   * (`client_connection_check_interval`, PostgreSQL ≥ 14): a statement whose client gave up (timed out,
   * destroyed the connection) is cancelled within this long instead of running, or holding locks, on.
   * 0 turns the check off. @default 500
   */
  readonly clientCheckIntervalMs?: number;
  /** Called for errors on idle connections (e.g. the server restarted); the pool replaces them. */
  readonly onIdleError?: (error: Error) => void;
}

/** The client-side cap on one statement: a little above the server's, so a server that never answers still fails it. */
export function clientQueryTimeoutMs(options: Pick<PoolOptions, 'statementTimeoutMs'>): number {
  return (options.statementTimeoutMs ?? 1500) + 500;
}

/** A pg Pool where every connection and statement has a deadline. */
export function createPool(options: PoolOptions): pg.Pool {
  const statementTimeoutMs = options.statementTimeoutMs ?? 1500;
  const checkIntervalMs = options.clientCheckIntervalMs ?? 500;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    statement_timeout: statementTimeoutMs,
    query_timeout: clientQueryTimeoutMs(options),
    lock_timeout: statementTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 5000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 1000,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    ...(checkIntervalMs > 0 ? { options: `-c client_connection_check_interval=${checkIntervalMs}` } : {}),
  });
  // Without a listener an idle client's error (server restart) would crash the process.
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
