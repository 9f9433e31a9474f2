import { errors, type Logger } from '@redwire/http-kit';
import {
  parseToken,
  type SessionClient,
  type SessionInfo,
  type SessionStore,
  splitSessionId,
} from '@redwire/sessions';
import { type Account, toSessionAccount } from '../accounts/account.model';
import type { AccountRepository } from '../accounts/account.repository';
import type { AccountSync } from '../accounts/account-sync';
import type { RevocationPublisher } from '../events/revocation.publisher';
import type { PasswordHasher } from '../passwords/password.hasher';
import type { LoginThrottle } from '../throttle/login-throttle';

/** Why a login failed (metrics and logs only: the client always gets the same 401). */
export type LoginFailure = 'locked' | 'unknown' | 'password' | 'inactive' | 'stale';

/** Dependencies of {@link AuthService}. */
export interface AuthServiceDeps {
  accounts: AccountRepository;
  store: SessionStore;
  sync: AccountSync;
  revocations: RevocationPublisher;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  logger: Logger;
  onLogin?: (outcome: 'success' | LoginFailure) => void;
}

/** A new session for a verified account. */
export interface IssuedSession {
  account: Account;
  token: string;
  session: SessionInfo;
}

/**
 * Logins, password changes and session management. Every login failure throws the same
 * `E_INVALID_CREDENTIALS` after exactly one password verification (a dummy one when there is no account or
 * the back-off is running), so neither the response nor the hashing work tells the cases apart.
 */
export class AuthService {
  constructor(private readonly deps: AuthServiceDeps) {}

  async login(email: string, password: string, client: SessionClient): Promise<IssuedSession> {
    const { accounts, hasher, throttle, store } = this.deps;
    if ((await throttle.lockedFor(email, client.ip)).remainingMs > 0) {
      await hasher.verifyDummy(password);
      return this.refuse('locked');
    }
    const account = await accounts.findByEmail(email);
    const verified = account
      ? await hasher.verify(account.passwordHash, password)
      : await hasher.verifyDummy(password);
    if (!account || !verified || account.status !== 'active') {
      await throttle.recordFailure(email, client.ip);
      return this.refuse(!account ? 'unknown' : !verified ? 'password' : 'inactive');
    }
    await throttle.recordSuccess(email, client.ip);
    await this.upgradeHash(account, password);
    const created = await store.create(toSessionAccount(account), client);
    // The password, role or status changed between our read and the session: the verification is void.
    if (!created.created) return this.refuse('stale');
    this.deps.onLogin?.('success');
    if (created.evicted.length > 0) await this.deps.revocations.revoked(created.evicted, account.id);
    return { account, token: created.token, session: created.session };
  }

  /** Revokes the session a token names if its secret matches; unknown or malformed tokens are ignored. */
  async logout(token: string | undefined): Promise<void> {
    if (token === undefined) return;
    if ((await this.deps.store.revokeToken(token)) === 'revoked') {
      await this.deps.revocations.revoked([parseToken(token)?.sessionId ?? '']);
    }
  }

  /** Ends every session of the user, fenced by an auth-version bump so a racing login cannot survive. */
  async logoutAll(userId: string): Promise<void> {
    const account = await this.deps.accounts.bumpAuthVersion(userId);
    if (!account) throw errors.E_UNAUTHENTICATED();
    await this.deps.sync.apply(account, { all: true });
  }

  /**
   * Verifies the current password, stores the new one with a bumped auth version (so every session made
   * before, the caller's included, is refused at once), revokes them, and returns a new session.
   */
  async changePassword(
    userId: string,
    currentPassword: string,
    newPassword: string,
    client: SessionClient,
  ): Promise<IssuedSession> {
    const { accounts, hasher, throttle, store, sync } = this.deps;
    const account = await accounts.findById(userId);
    if (account?.status !== 'active') throw errors.E_UNAUTHENTICATED();
    if ((await throttle.lockedFor(account.email, client.ip)).remainingMs > 0) {
      await hasher.verifyDummy(currentPassword);
      throw errors.E_INVALID_CREDENTIALS();
    }
    if (!(await hasher.verify(account.passwordHash, currentPassword))) {
      await throttle.recordFailure(account.email, client.ip);
      throw errors.E_INVALID_CREDENTIALS();
    }
    const newHash = await hasher.hash(newPassword);
    const updated = await accounts.changePassword(userId, account.authVersion, newHash);
    // Another password change, a logout-all or a disable won the race: this verification is void.
    if (!updated) throw errors.E_INVALID_CREDENTIALS();
    await sync.apply(updated, { all: true });
    const created = await store.create(toSessionAccount(updated), client);
    if (!created.created) throw errors.E_UNAUTHENTICATED();
    this.deps.logger.info({ userId }, 'password changed; every other session revoked');
    return { account: updated, token: created.token, session: created.session };
  }

  /** The account and the caller's session; 401 when either is gone (deleted, revoked since the gateway checked). */
  async me(userId: string, sessionId: string): Promise<{ account: Account; session: SessionInfo }> {
    const account = await this.deps.accounts.findById(userId);
    if (account?.status !== 'active') throw errors.E_UNAUTHENTICATED();
    const session = (await this.deps.store.list(account.sessionTag)).find((s) => s.sessionId === sessionId);
    if (!session) throw errors.E_UNAUTHENTICATED();
    return { account, session };
  }

  /** The caller's live sessions. The tag comes from the caller's own (gateway-validated) session id. */
  async listSessions(sessionId: string): Promise<SessionInfo[]> {
    const parts = splitSessionId(sessionId);
    if (!parts) throw errors.E_UNAUTHENTICATED();
    return this.deps.store.list(parts.tag);
  }

  /** Revokes one of the caller's sessions; anybody else's (or an unknown one) is a 404 and is left alone. */
  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const outcome = await this.deps.store.revoke(sessionId, userId);
    if (outcome !== 'revoked') throw errors.E_NOT_FOUND('No such session.');
    await this.deps.revocations.revoked([sessionId], userId);
  }

  private async upgradeHash(account: Account, password: string): Promise<void> {
    if (!this.deps.hasher.needsRehash(account.passwordHash)) return;
    try {
      const upgraded = await this.deps.hasher.hash(password);
      await this.deps.accounts.replaceHash(account.id, account.passwordHash, upgraded);
    } catch (error) {
      // The login itself is fine; the upgrade is retried at the next one.
      this.deps.logger.warn({ err: error, userId: account.id }, 'password re-hash failed');
    }
  }

  private refuse(reason: LoginFailure): never {
    this.deps.onLogin?.(reason);
    throw errors.E_INVALID_CREDENTIALS();
  }
}
