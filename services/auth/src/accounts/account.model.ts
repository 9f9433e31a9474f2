import type { SessionAccount, SessionRole, SessionTier } from '@redwire/sessions';

/** `pending` while registration is in flight (cannot log in); `disabled` by an admin (cannot log in). */
export type AccountStatus = 'pending' | 'active' | 'disabled';

/** A row of `auth.accounts`. */
export interface Account {
  readonly id: string;
  readonly email: string;
  /** Argon2id PHC string. Never leaves the service. */
  readonly passwordHash: string;
  readonly status: AccountStatus;
  readonly role: SessionRole;
  readonly tier: SessionTier;
  readonly sessionTag: string;
  readonly authVersion: number;
  readonly revision: number;
  readonly syncedRevision: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** The facts the session store fences on. */
export function toSessionAccount(account: Account): SessionAccount {
  return {
    userId: account.id,
    tag: account.sessionTag,
    authVersion: account.authVersion,
    revision: account.revision,
    role: account.role,
    tier: account.tier,
  };
}

/** `user` in login and /auth/me responses. */
export function userView(account: Account) {
  return { id: account.id, email: account.email, role: account.role, tier: account.tier };
}

/** `account` in the admin PATCH response. */
export function accountView(account: Account) {
  return {
    id: account.id,
    email: account.email,
    role: account.role,
    tier: account.tier,
    status: account.status,
    createdAt: account.createdAt.toISOString(),
    updatedAt: account.updatedAt.toISOString(),
  };
}
