import { currentDeadline, type RequestDeadline, RequestDeadlineExceededError } from '@redwire/deadline';
import type pg from 'pg';
import { classifyDbError, DatabaseUnavailableError, isUnavailable } from './db-errors';
import { clientQueryTimeoutMs, createPool, type PoolOptions } from './pool';

/** Statements inside {@link Database.transaction}. */
export interface Transaction {
  /** Runs one statement of the transaction (bounded like {@link Database.query}); errors are not classified. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** How long a ROLLBACK on a healthy connection may take before the connection is dropped instead. */
const ROLLBACK_TIMEOUT_MS = 250;

/**
 * The pool as the request path uses it: every wait keeps to the deadline of the request being served
 * (`@redwire/deadline`, found through AsyncLocalStorage), on top of the pool's own limits.
 *
 * - Waiting for a connection ends when the deadline passes (the pool's own checkout timeout still applies).
 * - Each statement's client-side timeout is the time left, if that is less than the statement timeout.
 * - A connection whose statement timed out, whose deadline passed mid-transaction, or that failed, is
 *   destroyed, never returned to the pool: its server session may still be running the statement.
 *   PostgreSQL rolls back an open transaction when its connection closes, and `client_connection_check_
 *   interval` makes it notice a closed connection while a statement runs (lock waits included).
 * - A transaction whose deadline passes before COMMIT is not committed; nothing is half-written. A COMMIT
 *   whose answer does not arrive in time is ambiguous (it may have committed, whole): the caller reports
 *   unavailability, as it would for a lost connection.
 *
 * Every error that means "PostgreSQL cannot answer now", a spent deadline included, is thrown as
 * {@link DatabaseUnavailableError}. Without a deadline (workers, start-up) only the pool's limits apply.
 */
export class Database {
  readonly pool: pg.Pool;
  /** The pool's client-side cap on one statement; a deadline can only shorten it. */
  readonly #statementCapMs: number;

  constructor(options: PoolOptions) {
    this.pool = createPool(options);
    this.#statementCapMs = clientQueryTimeoutMs(options);
  }

  /** Runs one statement on a pooled connection. */
  async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> {
    const deadline = currentDeadline();
    const client = await this.#acquire(deadline);
    let broken: Error | undefined;
    try {
      return await this.#run<R>(client, text, values, deadline);
    } catch (error) {
      // A timed-out or failed connection may still be busy server-side; a plain SQL error leaves it usable.
      if (isBroken(error)) broken = asError(error);
      return classify(error, deadline);
    } finally {
      client.release(broken);
    }
  }

  /**
   * Runs `work` in one transaction: BEGIN, `work`, COMMIT; on any failure the transaction is rolled back
   * (by ROLLBACK on a healthy connection, or by dropping the connection) and the error rethrown,
   * unavailability as {@link DatabaseUnavailableError}.
   */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    const deadline = currentDeadline();
    const client = await this.#acquire(deadline);
    let broken: Error | undefined;
    // A checked-out client reports a dropped connection as an 'error' event, which would crash the process
    // without a listener; the failing statement reports it to us as well.
    const onError = (error: Error) => {
      broken = error;
    };
    client.on('error', onError);
    const tx: Transaction = {
      query: async <R extends pg.QueryResultRow>(text: string, values?: readonly unknown[]) => {
        try {
          return await this.#run<R>(client, text, values, deadline);
        } catch (error) {
          if (isBroken(error)) broken ??= asError(error);
          throw error;
        }
      },
    };
    try {
      await tx.query('BEGIN');
      const result = await work(tx);
      await tx.query('COMMIT');
      return result;
    } catch (error) {
      if (!broken && deadline?.expired) broken = new RequestDeadlineExceededError(deadline.budgetMs);
      if (!broken) {
        await this.#run(client, 'ROLLBACK', undefined, deadline, ROLLBACK_TIMEOUT_MS).catch(
          (rollbackError: unknown) => {
            broken = asError(rollbackError);
          },
        );
      }
      return classify(error, deadline);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  /** Closes every connection. */
  end(): Promise<void> {
    return this.pool.end();
  }

  /**
   * One statement with a client-side timeout of the time left when that is shorter than the pool's cap
   * (`capMs` lowers the cap). Past the deadline nothing is sent.
   */
  #run<R extends pg.QueryResultRow>(
    client: pg.PoolClient,
    text: string,
    values: readonly unknown[] | undefined,
    deadline: RequestDeadline | undefined,
    capMs = this.#statementCapMs,
  ): Promise<pg.QueryResult<R>> {
    let timeoutMs = Math.min(capMs, this.#statementCapMs);
    if (deadline) {
      const left = deadline.remainingMs();
      if (left <= 0) return Promise.reject(new RequestDeadlineExceededError(deadline.budgetMs));
      timeoutMs = Math.min(timeoutMs, Math.ceil(left));
    }
    // pg's per-query `query_timeout` replaces the pool-wide one for this statement.
    const config = { text, values: values as unknown[] | undefined, query_timeout: timeoutMs };
    return client.query<R>(config);
  }

  /** A connection, waiting at most until the deadline; a late one is handed straight back. */
  async #acquire(deadline: RequestDeadline | undefined): Promise<pg.PoolClient> {
    if (!deadline) return this.pool.connect().catch(classifyDbError);
    const left = deadline.remainingMs();
    if (left <= 0) throw new DatabaseUnavailableError(new RequestDeadlineExceededError(deadline.budgetMs));
    const pending = this.pool.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        pending,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new DatabaseUnavailableError(new RequestDeadlineExceededError(deadline.budgetMs))),
            Math.ceil(left),
          );
        }),
      ]);
    } catch (error) {
      pending.then(
        (client) => client.release(),
        () => {},
      );
      return classifyDbError(error);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** True when the connection must not be reused after `error`. */
function isBroken(error: unknown): boolean {
  return error instanceof RequestDeadlineExceededError || isUnavailable(error);
}

function classify(error: unknown, deadline: RequestDeadline | undefined): never {
  if (error instanceof RequestDeadlineExceededError) throw new DatabaseUnavailableError(error);
  // A client-side timeout cut short by the deadline: name the deadline as the cause.
  if (deadline?.expired && isUnavailable(error) && !(error instanceof DatabaseUnavailableError)) {
    throw new DatabaseUnavailableError(new RequestDeadlineExceededError(deadline.budgetMs));
  }
  return classifyDbError(error);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
