import type { Database, Transaction } from '@redwire/postgres-kit';
import { v7 as uuidv7 } from 'uuid';
import type { TraceCarrier, User, UserEvent, UserEventType } from './user.model';

/**
 * Fault-injection points for tests (the "connection killed between UPDATE and outbox INSERT" case).
 * Production code never sets them.
 */
export interface RepositoryHooks {
  /** Runs inside the write transaction, after the row statement and before the outbox INSERT. */
  afterRowWrite?: (tx: Transaction) => Promise<void>;
}

/** Options of {@link UserRepository}. */
export interface UserRepositoryOptions {
  /** Test-only fault injection. @default none */
  hooks?: RepositoryHooks;
  /** Counts every statement issued, by operation (the DB-query metric and the "exactly 1 query" tests). @default none */
  onQuery?: (operation: 'find' | 'list' | 'create' | 'update' | 'delete' | 'sweep') => void;
}

export type UpdateResult =
  | { kind: 'updated'; user: User; event: UserEvent }
  | { kind: 'not_found' }
  | { kind: 'version_conflict'; currentVersion: number };

export type CreateResult =
  | { kind: 'created'; user: User; event: UserEvent }
  | { kind: 'exists'; user: User }
  | { kind: 'email_taken' };

export type DeleteResult = { kind: 'deleted'; event: UserEvent } | { kind: 'not_found' };

/** The newest version written per user since a point in time (the cache's recovery sweep). */
export interface RecentWrite {
  readonly userId: string;
  readonly version: number;
}

interface UserRow {
  id: string;
  email: string;
  name: string;
  bio: string;
  version: string;
  created_at: Date;
  updated_at: Date;
}

const USER_COLUMNS = 'id, email, name, bio, version, created_at, updated_at';

function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    bio: row.bio,
    version: Number(row.version),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/**
 * Data access for `users.users` and `users.outbox`. Every write changes the row and inserts its outbox
 * event in one transaction, so an event exists if and only if the change committed. Unavailability, and
 * the request's deadline passing (postgres-kit's Database keeps to it), is reported as
 * DatabaseUnavailableError.
 */
export class UserRepository {
  readonly #db: Database;
  readonly #hooks: RepositoryHooks;
  readonly #onQuery: NonNullable<UserRepositoryOptions['onQuery']>;

  constructor(db: Database, options: UserRepositoryOptions = {}) {
    this.#db = db;
    this.#hooks = options.hooks ?? {};
    this.#onQuery = options.onQuery ?? (() => {});
  }

  /** The user, or undefined when no row has this id. Always reads the primary (cache fills rely on it). */
  async findById(id: string): Promise<User | undefined> {
    this.#onQuery('find');
    const { rows } = await this.#db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1`, [
      id,
    ]);
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** Up to `limit` users with id greater than `after`, in id order (keyset pagination). */
  async list(after: string | undefined, limit: number): Promise<User[]> {
    this.#onQuery('list');
    // Two statements rather than `$1 IS NULL OR id > $1`, which would keep the planner off the index.
    const { rows } = after
      ? await this.#db.query<UserRow>(
          `SELECT ${USER_COLUMNS} FROM users.users WHERE id > $1 ORDER BY id LIMIT $2`,
          [after, limit],
        )
      : await this.#db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users.users ORDER BY id LIMIT $1`, [
          limit,
        ]);
    return rows.map(toUser);
  }

  /** Creates the profile, idempotently on `id`: the same id and email again returns the existing row. */
  async create(
    input: { id: string; email: string; name: string },
    trace: TraceCarrier = {},
  ): Promise<CreateResult> {
    this.#onQuery('create');
    return this.#db.transaction(async (tx) => {
      const inserted = await tx.query<UserRow>(
        `INSERT INTO users.users (id, email, name) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
        [input.id, input.email, input.name],
      );
      const row = inserted.rows[0];
      if (row) {
        await this.#hooks.afterRowWrite?.(tx);
        const event = await insertEvent(tx, 'user.created', row.id, Number(row.version), trace);
        return { kind: 'created', user: toUser(row), event };
      }
      const existing = await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users.users WHERE id = $1`, [
        input.id,
      ]);
      const current = existing.rows[0];
      if (current && current.email === input.email) return { kind: 'exists', user: toUser(current) };
      return { kind: 'email_taken' };
    });
  }

  /** Applies `patch`; with `expectedVersions`, only if the row is at one of them (If-Match). */
  async update(
    id: string,
    patch: { name?: string | undefined; bio?: string | undefined },
    options: { expectedVersions?: readonly number[] | undefined; trace?: TraceCarrier } = {},
  ): Promise<UpdateResult> {
    this.#onQuery('update');
    return this.#db.transaction(async (tx) => {
      const updated = await tx.query<UserRow>(
        `UPDATE users.users SET name = COALESCE($2, name), bio = COALESCE($3, bio)
         WHERE id = $1 AND ($4::bigint[] IS NULL OR version = ANY($4::bigint[]))
         RETURNING ${USER_COLUMNS}`,
        [id, patch.name ?? null, patch.bio ?? null, options.expectedVersions ?? null],
      );
      const row = updated.rows[0];
      if (!row) {
        const current = await tx.query<{ version: string }>('SELECT version FROM users.users WHERE id = $1', [
          id,
        ]);
        const found = current.rows[0];
        return found
          ? { kind: 'version_conflict', currentVersion: Number(found.version) }
          : { kind: 'not_found' };
      }
      await this.#hooks.afterRowWrite?.(tx);
      const event = await insertEvent(tx, 'user.updated', id, Number(row.version), options.trace ?? {});
      return { kind: 'updated', user: toUser(row), event };
    });
  }

  /** Deletes the profile; the event's version is the deleted row's version + 1. */
  async delete(id: string, trace: TraceCarrier = {}): Promise<DeleteResult> {
    this.#onQuery('delete');
    return this.#db.transaction(async (tx) => {
      const deleted = await tx.query<{ version: string }>(
        'DELETE FROM users.users WHERE id = $1 RETURNING version',
        [id],
      );
      const row = deleted.rows[0];
      if (!row) return { kind: 'not_found' };
      await this.#hooks.afterRowWrite?.(tx);
      const event = await insertEvent(tx, 'user.deleted', id, Number(row.version) + 1, trace);
      return { kind: 'deleted', event };
    });
  }

  /**
   * The newest event version per user among outbox rows created at or after `since` (published or not).
   * The cache replays these as invalidations before it trusts entries again after a Redis outage.
   */
  async writesSince(since: Date): Promise<RecentWrite[]> {
    this.#onQuery('sweep');
    const { rows } = await this.#db.query<{ user_id: string; version: string }>(
      `SELECT user_id, max(version) AS version FROM users.outbox WHERE created_at >= $1 GROUP BY user_id`,
      [since],
    );
    return rows.map((r) => ({ userId: r.user_id, version: Number(r.version) }));
  }
}

async function insertEvent(
  tx: Transaction,
  type: UserEventType,
  userId: string,
  version: number,
  trace: TraceCarrier,
): Promise<UserEvent> {
  const eventId = uuidv7();
  const { rows } = await tx.query<{ created_at: Date }>(
    `INSERT INTO users.outbox (event_id, type, user_id, version, traceparent, tracestate)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at`,
    [eventId, type, userId, version, trace.traceparent ?? null, trace.tracestate ?? null],
  );
  const occurredAt = (rows[0]?.created_at ?? new Date()).toISOString();
  return {
    eventId,
    type,
    userId,
    version,
    occurredAt,
    traceparent: trace.traceparent,
    tracestate: trace.tracestate,
  };
}
