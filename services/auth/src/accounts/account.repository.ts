import { type Database, isUniqueViolation } from '@redwire/postgres-kit';
import type pg from 'pg';
import type { Account, AccountStatus } from './account.model';

const COLUMNS = `id, email, password_hash, status, role, tier, session_tag, auth_version, revision,
  synced_revision, created_at, updated_at`;

interface AccountRow {
  id: string;
  email: string;
  password_hash: string;
  status: AccountStatus;
  role: Account['role'];
  tier: Account['tier'];
  session_tag: string;
  auth_version: string;
  revision: string;
  synced_revision: string;
  created_at: Date;
  updated_at: Date;
}

function toAccount(row: AccountRow): Account {
  return {
    id: row.id,
    email: row.email,
    passwordHash: row.password_hash,
    status: row.status,
    role: row.role,
    tier: row.tier,
    sessionTag: row.session_tag,
    authVersion: Number(row.auth_version),
    revision: Number(row.revision),
    syncedRevision: Number(row.synced_revision),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A new account as registration inserts it (pending until the profile exists). */
export interface NewAccount {
  id: string;
  email: string;
  passwordHash: string;
  role: Account['role'];
  sessionTag: string;
}

/** What an admin may change. */
export interface AccountPatch {
  role?: Account['role'] | undefined;
  tier?: Account['tier'] | undefined;
  status?: 'active' | 'disabled' | undefined;
}

/** Test seams: run between steps so failure points can be reached deterministically. */
export interface AccountRepositoryHooks {
  /** Called before the registration's activating UPDATE (a test makes it throw: "PG fails after the profile"). */
  beforeActivate?: (id: string) => Promise<void> | void;
}

/**
 * `auth.accounts`. Every PostgreSQL failure that means "unavailable", and the request's deadline passing
 * (postgres-kit's Database keeps to it), surfaces as DatabaseUnavailableError.
 */
export class AccountRepository {
  constructor(
    private readonly db: Database,
    private readonly hooks: AccountRepositoryHooks = {},
  ) {}

  /** Inserts a pending account; `email_taken` when any account (pending included) holds the email. */
  async insertPending(account: NewAccount): Promise<Account | 'email_taken'> {
    try {
      const inserted = await this.one(
        `INSERT INTO auth.accounts (id, email, password_hash, role, session_tag) VALUES ($1, $2, $3, $4, $5)
         RETURNING ${COLUMNS}`,
        [account.id, account.email, account.passwordHash, account.role, account.sessionTag],
      );
      if (!inserted) throw new Error('INSERT … RETURNING returned no row');
      return inserted;
    } catch (error) {
      if (isUniqueViolation(error, 'accounts_email_key')) return 'email_taken';
      throw error;
    }
  }

  /**
   * Makes a pending account usable. No session can exist before this, so the Redis mirror has nothing to
   * catch up with: the row is marked synced at the revision the trigger is about to give it.
   */
  async activate(id: string): Promise<Account | undefined> {
    await this.hooks.beforeActivate?.(id);
    return this.one(
      `UPDATE auth.accounts SET status = 'active', synced_revision = revision + 1
       WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
      [id],
    );
  }

  /** Deletes an account only while it is still pending (registration compensation). */
  async deletePending(id: string): Promise<boolean> {
    const result = await this.query(`DELETE FROM auth.accounts WHERE id = $1 AND status = 'pending'`, [id]);
    return result.rowCount === 1;
  }

  findByEmail(email: string): Promise<Account | undefined> {
    return this.one(`SELECT ${COLUMNS} FROM auth.accounts WHERE email = $1`, [email]);
  }

  findById(id: string): Promise<Account | undefined> {
    return this.one(`SELECT ${COLUMNS} FROM auth.accounts WHERE id = $1`, [id]);
  }

  /** Stores a re-hash with current parameters; a no-op if the hash changed meanwhile (password change). */
  async replaceHash(id: string, oldHash: string, newHash: string): Promise<void> {
    await this.query(`UPDATE auth.accounts SET password_hash = $3 WHERE id = $1 AND password_hash = $2`, [
      id,
      oldHash,
      newHash,
    ]);
  }

  /**
   * Sets a new password and bumps the auth version, if the account is still active at the version whose
   * password the caller verified. undefined: it changed meanwhile.
   */
  changePassword(id: string, verifiedVersion: number, newHash: string): Promise<Account | undefined> {
    return this.one(
      `UPDATE auth.accounts SET password_hash = $3, auth_version = auth_version + 1
       WHERE id = $1 AND auth_version = $2 AND status = 'active' RETURNING ${COLUMNS}`,
      [id, verifiedVersion, newHash],
    );
  }

  /** Bumps the auth version of an active account (log out everywhere). */
  bumpAuthVersion(id: string): Promise<Account | undefined> {
    return this.one(
      `UPDATE auth.accounts SET auth_version = auth_version + 1 WHERE id = $1 AND status = 'active'
       RETURNING ${COLUMNS}`,
      [id],
    );
  }

  /** Applies an admin change; disabling bumps the auth version. undefined: no such (non-pending) account. */
  adminUpdate(id: string, patch: AccountPatch): Promise<Account | undefined> {
    return this.one(
      `UPDATE auth.accounts SET
         role = COALESCE($2, role),
         tier = COALESCE($3, tier),
         auth_version = auth_version + CASE WHEN $4 = 'disabled' AND status <> 'disabled' THEN 1 ELSE 0 END,
         status = COALESCE($4, status)
       WHERE id = $1 AND status <> 'pending' RETURNING ${COLUMNS}`,
      [id, patch.role ?? null, patch.tier ?? null, patch.status ?? null],
    );
  }

  /** Records that the Redis mirror holds `revision` (never moves backwards). */
  async markSynced(id: string, revision: number): Promise<void> {
    await this.query('UPDATE auth.accounts SET synced_revision = $2 WHERE id = $1 AND synced_revision < $2', [
      id,
      revision,
    ]);
  }

  /** Non-pending accounts whose latest change has not reached the Redis mirror. */
  async findUnsynced(limit: number): Promise<Account[]> {
    const result = await this.query<AccountRow>(
      `SELECT ${COLUMNS} FROM auth.accounts WHERE synced_revision < revision AND status <> 'pending'
       ORDER BY id LIMIT $1`,
      [limit],
    );
    return result.rows.map(toAccount);
  }

  /** Ids of registrations pending for longer than `olderThanMs` (interrupted mid-way). */
  async findStalePending(olderThanMs: number, limit: number): Promise<string[]> {
    const result = await this.query<{ id: string }>(
      `SELECT id FROM auth.accounts
       WHERE status = 'pending' AND created_at < now() - make_interval(secs => $1::float8 / 1000)
       ORDER BY created_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return result.rows.map((r) => r.id);
  }

  /**
   * Locks the account row, runs `fence` (which must end every session in Redis), then deletes the row, all
   * in one transaction: a password change or admin update waits on the lock and then finds no row, so
   * nothing can mint a session after the fence. Returns false when there was no row.
   */
  async deleteFenced(id: string, fence: (account: Account) => Promise<void>): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const found = await tx.query<AccountRow>(
        `SELECT ${COLUMNS} FROM auth.accounts WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = found.rows[0];
      if (!row) return false;
      await fence(toAccount(row));
      await tx.query('DELETE FROM auth.accounts WHERE id = $1', [id]);
      return true;
    });
  }

  private async one(sql: string, params: unknown[]): Promise<Account | undefined> {
    const result = await this.query<AccountRow>(sql, params);
    const row = result.rows[0];
    return row && toAccount(row);
  }

  private query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    return this.db.query<R>(sql, params);
  }
}
