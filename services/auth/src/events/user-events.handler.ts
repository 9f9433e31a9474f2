import { parseUserEvent } from '@redwire/contracts';
import type { Logger } from '@redwire/http-kit';
import type { StreamHandler } from '@redwire/redis-kit';
import type { SessionStore } from '@redwire/sessions';
import { toSessionAccount } from '../accounts/account.model';
import type { AccountRepository } from '../accounts/account.repository';
import type { UserServiceClient } from '../registration/user-service.client';
import type { RevocationPublisher } from './revocation.publisher';

/** Dependencies of {@link userEventsHandler}. */
export interface UserEventsHandlerDeps {
  accounts: AccountRepository;
  store: SessionStore;
  users: UserServiceClient;
  revocations: RevocationPublisher;
  logger: Logger;
  /** Told when a user's credentials and sessions are gone (metrics, tests). @default none */
  onUserDeleted?: (userId: string) => void;
}

/**
 * Auth's consumer of `user-events` (group `auth`). Throwing leaves the entry pending: the consumer retries
 * it and dead-letters it after repeated failures. Every action is idempotent, so redelivery is harmless.
 *
 * - `user.deleted`: under a row lock, bump the mirrored auth version (every session of the user is refused
 *   from then on, and a login still in flight fails its fence), revoke every session, delete the
 *   credentials. The email can register again.
 * - `user.created` for an id with no account row: a profile whose registration was rolled back before the
 *   user service committed it (the create had timed out). Delete it, so nothing lingers.
 */
export function userEventsHandler(deps: UserEventsHandlerDeps): StreamHandler {
  return async (message) => {
    const event = parseUserEvent(message.fields);
    if (!event) {
      deps.logger.warn({ messageId: message.id }, 'skipped a malformed user-events entry');
      return;
    }
    if (event.type === 'user.deleted') {
      const deleted = await deps.accounts.deleteFenced(event.userId, async (account) => {
        const fenced = toSessionAccount(account);
        await deps.store.syncAccount({
          ...fenced,
          authVersion: fenced.authVersion + 1,
          revision: fenced.revision + 1,
        });
        await deps.revocations.revoked(await deps.store.revokeAll(account.sessionTag), account.id);
      });
      if (deleted)
        deps.logger.info({ userId: event.userId }, 'user deleted: credentials and sessions removed');
      deps.onUserDeleted?.(event.userId);
      return;
    }
    if (event.type === 'user.created' && !(await deps.accounts.findById(event.userId))) {
      await deps.users.deleteProfile(event.userId);
      deps.logger.info({ userId: event.userId }, 'deleted a profile left by a rolled-back registration');
    }
  };
}
