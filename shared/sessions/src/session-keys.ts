import { splitSessionId } from './session-token';

/**
 * Every Redis key of the session store. All keys of one user share the `{tag}` hash tag, so the
 * multi-key scripts work on Redis Cluster; the tag is random, so keys and tokens carry no user data.
 *
 * - `<prefix>{tag}:s:<member>` HASH  one session: sh (secret digest), uid, av, ca, la, ax, it, ua, ip
 * - `<prefix>{tag}:ix`         ZSET  the user's session members, score = absolute expiry (ms), strictly rising in creation order
 * - `<prefix>{tag}:u`          HASH  account state mirrored from PostgreSQL: uid, av, rev, role, tier
 */
export class SessionKeys {
  constructor(private readonly prefix: string) {}

  /** Prefix that `member` completes into a session key; passed to scripts that reach sibling sessions. */
  sessionPrefix(tag: string): string {
    return `${this.prefix}{${tag}}:s:`;
  }

  session(tag: string, member: string): string {
    return this.sessionPrefix(tag) + member;
  }

  index(tag: string): string {
    return `${this.prefix}{${tag}}:ix`;
  }

  account(tag: string): string {
    return `${this.prefix}{${tag}}:u`;
  }

  /** Session key for a public session id; null when the id is malformed. */
  sessionById(sessionId: string): string | null {
    const parts = splitSessionId(sessionId);
    return parts && this.session(parts.tag, parts.member);
  }
}
