import { runOutsideDeadline, withinRequestDeadline } from '@redwire/deadline';
import { errors, type Logger } from '@redwire/http-kit';
import { newRoutingTag } from '@redwire/sessions';
import { v7 as uuidv7 } from 'uuid';
import type { AccountRepository } from '../accounts/account.repository';
import type { PasswordHasher } from '../passwords/password.hasher';
import { type UserProfile, type UserServiceClient, UserServiceError } from './user-service.client';

/** Outcome counts for metrics. */
export type RegistrationOutcome = 'created' | 'email_taken' | 'failed';

/** Dependencies of {@link RegistrationService}. */
export interface RegistrationDeps {
  accounts: AccountRepository;
  users: UserServiceClient;
  hasher: PasswordHasher;
  /** Normalised emails that register as admins (ADMIN_EMAILS). */
  adminEmails: ReadonlySet<string>;
  logger: Logger;
  onOutcome?: (outcome: RegistrationOutcome) => void;
}

/**
 * Synchronous registration: a pending account row first (it claims the email and records what to undo),
 * then the profile through the user service (idempotent on the id generated here), then activation. A
 * failure at any step undoes the earlier ones; what cannot be undone now (the user service is down) stays
 * as a pending row, which can never log in and which the reaper undoes later. A profile created by a call
 * that timed out but landed after its compensation is removed when its `user.created` event arrives
 * (see user-events.handler.ts).
 *
 * Within a request's deadline the steps keep to it; the undo runs outside it (it must happen even when the
 * request ran out of time) and the answer waits for it only while the request has time left.
 */
export class RegistrationService {
  constructor(private readonly deps: RegistrationDeps) {}

  async register(input: { email: string; password: string; name: string }): Promise<UserProfile> {
    const { accounts, users, hasher } = this.deps;
    const passwordHash = await hasher.hash(input.password);
    const id = uuidv7();
    let pending: Awaited<ReturnType<AccountRepository['insertPending']>>;
    try {
      pending = await accounts.insertPending({
        id,
        email: input.email,
        passwordHash,
        role: this.deps.adminEmails.has(input.email) ? 'admin' : 'user',
        sessionTag: newRoutingTag(),
      });
    } catch (error) {
      // An INSERT whose answer never came (timed out) may have landed: do not leave the email claimed.
      await this.undoWithinRequest(id, { profile: false });
      throw error;
    }
    if (pending === 'email_taken') return this.fail('email_taken');

    let created: Awaited<ReturnType<UserServiceClient['createProfile']>>;
    try {
      created = await users.createProfile({ id, email: input.email, name: input.name });
    } catch (error) {
      await this.undoWithinRequest(id, {
        profile: !(error instanceof UserServiceError) || error.maybeApplied,
      });
      throw this.unavailable(error);
    }
    if (created.kind === 'email_taken') {
      // Our id was not created: only the pending row needs undoing.
      await this.undoWithinRequest(id, { profile: false });
      return this.fail('email_taken');
    }

    try {
      const active = await accounts.activate(id);
      if (!active) throw new Error('pending account vanished before activation');
    } catch (error) {
      await this.undoWithinRequest(id, { profile: true });
      throw this.unavailable(error);
    }
    this.deps.onOutcome?.('created');
    return created.user;
  }

  /**
   * Undoes a registration: the profile first (while the pending row still records that it may exist), then
   * the row. Any failure leaves the row pending for the reaper; it never throws.
   */
  async undo(id: string, what: { profile: boolean }): Promise<boolean> {
    try {
      if (what.profile) await this.deps.users.deleteProfile(id);
      await this.deps.accounts.deletePending(id);
      return true;
    } catch (error) {
      this.deps.logger.warn(
        { err: error, userId: id },
        'registration rollback incomplete; the reaper retries',
      );
      return false;
    }
  }

  /** Starts {@link undo} outside the request's deadline; waits for it while the request has time left. */
  private async undoWithinRequest(id: string, what: { profile: boolean }): Promise<void> {
    await withinRequestDeadline(runOutsideDeadline(() => this.undo(id, what))).catch(() => {});
  }

  private fail(outcome: 'email_taken'): never {
    this.deps.onOutcome?.(outcome);
    throw errors.E_EMAIL_TAKEN();
  }

  private unavailable(cause: unknown) {
    this.deps.onOutcome?.('failed');
    return errors.E_UNAVAILABLE('Registration is temporarily unavailable; try again.', {
      cause,
      retryAfterSeconds: 1,
    });
  }
}
