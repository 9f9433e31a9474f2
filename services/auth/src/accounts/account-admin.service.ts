import { errors } from '@redwire/http-kit';
import type { Account } from './account.model';
import type { AccountPatch, AccountRepository } from './account.repository';
import type { AccountSync } from './account-sync';

/**
 * Admin changes of role, tier and status. Role and tier reach live sessions at their next validation
 * (the reader reads them from the mirror); disabling bumps the auth version and revokes every session.
 */
export class AccountAdminService {
  constructor(
    private readonly accounts: AccountRepository,
    private readonly sync: AccountSync,
  ) {}

  async update(id: string, patch: AccountPatch): Promise<Account> {
    const updated = await this.accounts.adminUpdate(id, patch);
    if (!updated) throw errors.E_USER_NOT_FOUND();
    await this.sync.apply(updated);
    return updated;
  }
}
