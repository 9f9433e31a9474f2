import type { Logger } from '@redwire/http-kit';
import type { SessionStore } from '@redwire/sessions';
import type { RevocationPublisher } from '../events/revocation.publisher';
import { type Account, toSessionAccount } from './account.model';
import type { AccountRepository } from './account.repository';

/** Options of {@link AccountSync}. */
export interface AccountSyncOptions {
  accounts: AccountRepository;
  store: SessionStore;
  revocations: RevocationPublisher;
  logger: Logger;
  /** How often the reconciler retries changes whose mirroring failed. @default 2000 */
  intervalMs?: number;
}

/**
 * Carries committed account changes (role, tier, status, auth version) into the Redis mirror the session
 * reader checks. The request that made a change applies it at once; if Redis failed then, the reconciler
 * retries every row whose `synced_revision` lags its `revision`, so a password change or disable that
 * committed in PostgreSQL always reaches the sessions (the mirror's revision ordering makes replays safe).
 */
export class AccountSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly options: AccountSyncOptions) {}

  /**
   * Mirrors `account`, then revokes its sessions when asked (all but `keepSessionId`), then records the
   * sync. Throws if Redis fails (the reconciler will finish the job); a failure to record is only logged.
   */
  async apply(
    account: Account,
    revoke: { all: boolean; keepSessionId?: string } = { all: false },
  ): Promise<void> {
    const { store, accounts, logger } = this.options;
    await store.syncAccount(toSessionAccount(account));
    if (revoke.all || account.status === 'disabled') {
      const revoked = await store.revokeAll(
        account.sessionTag,
        revoke.keepSessionId ? { keepSessionId: revoke.keepSessionId } : {},
      );
      await this.options.revocations.revoked(revoked, account.id);
    }
    await accounts
      .markSynced(account.id, account.revision)
      .catch((error: unknown) =>
        logger.warn({ err: error, userId: account.id }, 'could not record account sync'),
      );
  }

  /** One reconciler pass; returns how many accounts were mirrored. */
  async reconcileOnce(limit = 100): Promise<number> {
    const pending = await this.options.accounts.findUnsynced(limit);
    let synced = 0;
    for (const account of pending) {
      // The version fence is in the mirror: sessions of an older auth version are refused from now on;
      // a disabled account's sessions are also deleted (apply does that for status 'disabled').
      await this.apply(account);
      synced++;
    }
    if (synced > 0) this.options.logger.info({ synced }, 'mirrored account changes to Redis');
    return synced;
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.reconcileOnce()
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'account sync pass failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
