import { randomBytes } from 'node:crypto';
import { emailSchema } from '@redwire/contracts';
import { isAppError } from '@redwire/http-kit';
import type { RegistrationService } from '../registration/registration.service';
import type { AccountRepository } from './account.repository';
import type { AccountAdminService } from './account-admin.service';

// The operator's way to the first admin (and any later one): commands run with the service's own
// configuration, by whoever can run a process next to the service — never an HTTP request. Registering an
// address gives no role, so nobody can claim a deployment by registering first.

/** What the admin commands need (the auth runtime provides all three). */
export interface AdminCommandDeps {
  readonly accounts: AccountRepository;
  readonly admin: AccountAdminService;
  readonly registration: RegistrationService;
}

/** Outcome of {@link grantAdmin}. */
export type GrantOutcome =
  | { readonly kind: 'granted'; readonly id: string }
  | { readonly kind: 'already_admin'; readonly id: string }
  | { readonly kind: 'no_account' }
  | { readonly kind: 'not_active'; readonly status: string };

/**
 * Gives an existing, active account role `admin`; its live sessions carry the role from their next request.
 * The operator is expected to have checked who registered the address before granting it.
 */
export async function grantAdmin(deps: AdminCommandDeps, rawEmail: string): Promise<GrantOutcome> {
  const email = emailSchema.parse(rawEmail);
  const account = await deps.accounts.findByEmail(email);
  if (!account) return { kind: 'no_account' };
  if (account.status !== 'active') return { kind: 'not_active', status: account.status };
  if (account.role === 'admin') return { kind: 'already_admin', id: account.id };
  const updated = await deps.admin.update(account.id, { role: 'admin' });
  return { kind: 'granted', id: updated.id };
}

/** Outcome of {@link createAdmin}. */
export type CreateOutcome =
  | { readonly kind: 'created'; readonly id: string; readonly password: string }
  /** The address is registered already: nothing was changed (an existing account is never promoted here). */
  | { readonly kind: 'exists'; readonly id: string; readonly role: string };

/** 32 characters of base64url: 192 random bits, far above the 15-character minimum. */
function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Creates a new account with role `admin` and a generated password, returned once (it is stored only as
 * its Argon2id hash). When the address is already registered nothing changes: promoting an account that
 * someone else may have registered is `grant`'s job, after the operator checked who owns it.
 */
export async function createAdmin(
  deps: AdminCommandDeps,
  rawEmail: string,
  name = 'Administrator',
): Promise<CreateOutcome> {
  const email = emailSchema.parse(rawEmail);
  const existing = await deps.accounts.findByEmail(email);
  if (existing) return { kind: 'exists', id: existing.id, role: existing.role };
  const password = generatePassword();
  try {
    const user = await deps.registration.register({ email, password, name }, { role: 'admin' });
    return { kind: 'created', id: user.id, password };
  } catch (error) {
    // Lost a race with a registration of the same address: report who holds it, promote nobody.
    if (isAppError(error, 'E_EMAIL_TAKEN')) {
      const holder = await deps.accounts.findByEmail(email);
      if (holder) return { kind: 'exists', id: holder.id, role: holder.role };
    }
    throw error;
  }
}
