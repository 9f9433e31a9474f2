import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { newRoutingTag, type SessionAccount } from '@redwire/sessions';

/** A user as the app's own user table would hold it. */
export interface User {
  account: SessionAccount;
  readonly name: string;
  passwordDigest: Buffer;
}

// A real app stores an argon2id hash (the auth service does); a digest keeps the example dependency-free.
const digest = (password: string) => createHash('sha256').update(password).digest();

/** The example's user table: in memory, two users. */
export class Users {
  readonly #byName = new Map<string, User>();

  constructor() {
    this.add('ada', 'correct horse battery staple', 'admin');
    this.add('grace', 'cobol forever', 'user');
  }

  /** The user whose name and password match, or undefined; the comparison takes the same time either way. */
  check(name: string, password: string): User | undefined {
    const user = this.#byName.get(name);
    const given = digest(password);
    const ok = timingSafeEqual(given, user?.passwordDigest ?? digest(`${password}!`));
    return user && ok ? user : undefined;
  }

  byId(userId: string): User | undefined {
    for (const user of this.#byName.values()) if (user.account.userId === userId) return user;
    return undefined;
  }

  /**
   * A password change: every existing session must end, so the account's `authVersion` goes up (and its
   * `revision`, which orders account updates); the caller mirrors the new account into Redis.
   */
  changePassword(user: User, password: string): SessionAccount {
    user.passwordDigest = digest(password);
    const { account } = user;
    user.account = { ...account, authVersion: account.authVersion + 1, revision: account.revision + 1 };
    return user.account;
  }

  private add(name: string, password: string, role: SessionAccount['role']): void {
    const account: SessionAccount = {
      userId: randomUUID(),
      tag: newRoutingTag(), // once per account, stored with it
      authVersion: 1,
      revision: 1,
      role,
      tier: 'free',
    };
    this.#byName.set(name, { account, name, passwordDigest: digest(password) });
  }
}
