import { Keyspace } from '@redwire/redis-kit';

/**
 * Every Redis key of the session store. All keys of one user share the `{tag}` hash tag, so the
 * multi-key scripts work on Redis Cluster; the tag is random, so keys and tokens carry no user data.
 *
 * - `auth:session:{tag}:s:<member>` HASH  one session: sh (secret digest), uid, av, ca, la, ax, it, ua, ip
 * - `auth:session:{tag}:ix`         ZSET  the user's session members, score = absolute expiry (ms), strictly
 *                                         rising in creation order
 * - `auth:session:{tag}:u`          HASH  account state mirrored from PostgreSQL: uid, av, rev, role, tier
 *
 * The auth service owns these keys (docs/design.md), hence the `auth` service segment even when the gateway reads.
 */
export class SessionKeys {
  private readonly keyspace: Keyspace;

  constructor(namespace: string | undefined) {
    this.keyspace = new Keyspace(
      namespace === undefined ? { service: 'auth' } : { service: 'auth', namespace },
    );
  }

  /** Prefix that `member` completes into a session key; passed to scripts that reach sibling sessions. */
  sessionPrefix(tag: string): string {
    return `${this.keyspace.tagged('session', tag, 's')}:`;
  }

  session(tag: string, member: string): string {
    return this.keyspace.tagged('session', tag, 's', member);
  }

  index(tag: string): string {
    return this.keyspace.tagged('session', tag, 'ix');
  }

  account(tag: string): string {
    return this.keyspace.tagged('session', tag, 'u');
  }
}
