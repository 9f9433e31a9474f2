import { type RedisClient, runScript } from '@redwire/redis-kit';
import { SessionKeys } from './session-keys';
import { sessionScripts as scripts } from './session-scripts';
import { isRoutingTag, issueToken, parseToken, splitSessionId } from './session-token';
import { checkInteger, type SessionKeyOptions, type SessionRole, type SessionTier } from './session-types';

// Redis keeps a hash as a compact listpack only while every value is at most `hash-max-listpack-value`
// (64) bytes: one longer User-Agent (a browser's is ~110) turned a session from 376 into 1 000 bytes of
// Redis memory. 64 bytes still tell "Mozilla/5.0 (Macintosh; ..." sessions apart in the session list.
const MAX_USER_AGENT_BYTES = 64;
const MAX_IP = 64;
const LIST_FIELDS = 7;

/** The account facts a session depends on, as read from the database of record. */
export interface SessionAccount {
  userId: string;
  /** The account's routing tag (`newRoutingTag()`, stored with the account). */
  tag: string;
  /** Bumped whenever every existing session must die: password change, disable, deletion. */
  authVersion: number;
  /** Bumped on every change of role, tier, status or version; orders concurrent mirror writes. */
  revision: number;
  role: SessionRole;
  tier: SessionTier;
}

/** What a session looks like to its owner (never the secret or its digest). */
export interface SessionInfo {
  sessionId: string;
  createdAt: Date;
  lastActiveAt: Date;
  /** min(idle expiry, absolute expiry). */
  expiresAt: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  userAgent: string;
  ip: string;
}

/** Where a session is created from; shown back in the session list. */
export interface SessionClient {
  userAgent?: string;
  ip?: string;
}

export type CreateSessionResult =
  /** `evicted`: ids of the oldest sessions this one ended (over the per-user cap). */
  | { created: true; token: string; session: SessionInfo; evicted: string[] }
  /** The account changed (password, disable, deletion) after the caller read it: nothing was written. */
  | { created: false; reason: 'stale' };

export type RevokeResult = 'revoked' | 'gone' | 'refused';

/** Options of {@link SessionStore}. */
export interface SessionStoreOptions extends SessionKeyOptions {
  /** The state-role Redis client (standalone or Cluster); its command timeout is every call's deadline. */
  redis: RedisClient;
  /** A session unused this long ends. @default 1800000 (30 min, OWASP low-risk range) */
  idleTimeoutMs?: number;
  /** A session ends this long after creation however busy it is. @default 28800000 (8 h) */
  absoluteTimeoutMs?: number;
  /** Live sessions per user; a new one beyond it ends the oldest. @default 10 */
  maxSessionsPerUser?: number;
  /** Sessions deleted per script call by `revokeAll` (bounds how long one call holds Redis). @default 100 */
  revokeBatchSize?: number;
}

/**
 * Creates, lists and revokes sessions. Only the auth service uses it; every mutation is one Lua script
 * that takes time from Redis, so concurrent logins, touches and revocations cannot interleave badly.
 */
export class SessionStore {
  private readonly redis: RedisClient;
  private readonly keys: SessionKeys;
  private readonly idleTimeoutMs: number;
  private readonly absoluteTimeoutMs: number;
  private readonly maxSessionsPerUser: number;
  private readonly revokeBatchSize: number;

  constructor(options: SessionStoreOptions) {
    this.redis = options.redis;
    this.keys = new SessionKeys(options.namespace);
    this.idleTimeoutMs = checkInteger(
      'idleTimeoutMs',
      options.idleTimeoutMs ?? 1_800_000,
      100,
      2_592_000_000,
    );
    this.absoluteTimeoutMs = checkInteger(
      'absoluteTimeoutMs',
      options.absoluteTimeoutMs ?? 28_800_000,
      this.idleTimeoutMs,
      31_536_000_000,
    );
    this.maxSessionsPerUser = checkInteger('maxSessionsPerUser', options.maxSessionsPerUser ?? 10, 1, 1000);
    this.revokeBatchSize = checkInteger('revokeBatchSize', options.revokeBatchSize ?? 100, 1, 10_000);
  }

  /**
   * Creates a session for an account whose credentials the caller has just verified against
   * `account.authVersion`. Refused (`stale`) when the version has moved on since. The returned token is
   * the only copy of the secret: Redis keeps its SHA-256.
   */
  async create(account: SessionAccount, client: SessionClient = {}): Promise<CreateSessionResult> {
    checkAccount(account);
    const userAgent = truncateUtf8(client.userAgent ?? '', MAX_USER_AGENT_BYTES);
    const ip = (client.ip ?? '').slice(0, MAX_IP);
    for (let attempt = 0; ; attempt++) {
      const issued = issueToken(account.tag);
      let reply: (number | string)[];
      try {
        reply = (await runScript(
          this.redis,
          scripts.create,
          [
            this.keys.session(account.tag, issued.member),
            this.keys.account(account.tag),
            this.keys.index(account.tag),
          ],
          [
            issued.member,
            issued.secretHash,
            account.userId,
            account.authVersion,
            account.revision,
            account.role,
            account.tier,
            this.idleTimeoutMs,
            this.absoluteTimeoutMs,
            this.maxSessionsPerUser,
            userAgent,
            ip,
            this.keys.sessionPrefix(account.tag),
          ],
        )) as (number | string)[];
      } catch (err) {
        // 128 random bits make a collision practically impossible; retry once rather than reason about it.
        if (attempt === 0 && err instanceof Error && err.message.includes('SID_COLLISION')) continue;
        throw err;
      }
      if (reply[0] === 0) return { created: false, reason: 'stale' };
      const [, ca, ax, exp, ...evicted] = reply as [number, number, number, number, ...string[]];
      const session: SessionInfo = {
        sessionId: issued.sessionId,
        createdAt: new Date(ca),
        lastActiveAt: new Date(ca),
        expiresAt: new Date(exp),
        idleExpiresAt: new Date(ca + this.idleTimeoutMs),
        absoluteExpiresAt: new Date(ax),
        userAgent,
        ip,
      };
      return { created: true, token: issued.token, session, evicted: evicted.map((m) => account.tag + m) };
    }
  }

  /**
   * Mirrors the account's role, tier and version into Redis (ignored when an equal or newer revision is
   * already there). Role and tier reach live sessions at their next validation; a version bump makes every
   * older session invalid at once. Call it after every committed change, before revoking.
   */
  async syncAccount(
    account: SessionAccount,
  ): Promise<{ applied: boolean; authVersion: number; revision: number }> {
    checkAccount(account);
    const [applied, authVersion, revision] = (await runScript(
      this.redis,
      scripts.syncAccount,
      [this.keys.account(account.tag)],
      [
        account.userId,
        account.authVersion,
        account.revision,
        account.role,
        account.tier,
        this.absoluteTimeoutMs,
      ],
    )) as [number, number, number];
    return { applied: applied === 1, authVersion, revision };
  }

  /** The live sessions of the user owning `tag`, oldest first; prunes dead and superseded ones. */
  async list(tag: string): Promise<SessionInfo[]> {
    if (!isRoutingTag(tag)) throw new TypeError('sessions: not a routing tag');
    const flat = (await runScript(
      this.redis,
      scripts.list,
      [this.keys.index(tag), this.keys.account(tag)],
      [this.keys.sessionPrefix(tag)],
    )) as string[];
    const sessions: SessionInfo[] = [];
    for (let i = 0; i + LIST_FIELDS <= flat.length; i += LIST_FIELDS) {
      const [member, ca, la, ax, idle, ua, ip] = flat.slice(i, i + LIST_FIELDS) as string[] as [
        string,
        string,
        string,
        string,
        string,
        string,
        string,
      ];
      sessions.push(toInfo(tag + member, Number(ca), Number(la), Number(ax), Number(idle), ua, ip));
    }
    return sessions;
  }

  /** Revokes `sessionId` if `userId` owns it. Someone else's session is `refused` and left alone. */
  async revoke(sessionId: string, userId: string): Promise<RevokeResult> {
    const parts = splitSessionId(sessionId);
    if (!parts) return 'gone';
    return this.runRevoke(parts.tag, parts.member, userId, '');
  }

  /** Revokes the session a token names, if the token's secret matches (logout). */
  async revokeToken(token: string): Promise<RevokeResult> {
    const parsed = parseToken(token);
    if (!parsed) return 'gone';
    return this.runRevoke(parsed.tag, parsed.member, '', parsed.secretHash);
  }

  /**
   * Revokes every session of the user owning `tag`, except `keepSessionId`, in batches until the index
   * is empty; a session created between batches is caught by the next one. Returns the ids of the live
   * sessions it deleted. Fence racing logins first with `syncAccount` (a version bump).
   */
  async revokeAll(tag: string, options: { keepSessionId?: string } = {}): Promise<string[]> {
    if (!isRoutingTag(tag)) throw new TypeError('sessions: not a routing tag');
    const keep = options.keepSessionId ? (splitSessionId(options.keepSessionId)?.member ?? '') : '';
    const revoked: string[] = [];
    // The cap keeps the index small, so this ends in one or two passes; the bound only guards bugs.
    for (let pass = 0; pass < 10_000; pass++) {
      const [left, ...members] = (await runScript(
        this.redis,
        scripts.revokeAll,
        [this.keys.index(tag)],
        [this.keys.sessionPrefix(tag), keep, this.revokeBatchSize],
      )) as [number, ...string[]];
      for (const member of members) revoked.push(tag + member);
      if (left <= 0) return revoked;
    }
    throw new Error('sessions: revokeAll did not converge');
  }

  private async runRevoke(
    tag: string,
    member: string,
    userId: string,
    secretHash: string,
  ): Promise<RevokeResult> {
    const reply = await runScript(
      this.redis,
      scripts.revoke,
      [this.keys.session(tag, member), this.keys.index(tag)],
      [member, userId, secretHash],
    );
    return reply === 1 ? 'revoked' : reply === 0 ? 'gone' : 'refused';
  }
}

function toInfo(sessionId: string, ca: number, la: number, ax: number, idle: number, ua: string, ip: string) {
  return {
    sessionId,
    createdAt: new Date(ca),
    lastActiveAt: new Date(la),
    expiresAt: new Date(Math.min(la + idle, ax)),
    idleExpiresAt: new Date(la + idle),
    absoluteExpiresAt: new Date(ax),
    userAgent: ua,
    ip,
  };
}

function checkAccount(account: SessionAccount): void {
  if (!isRoutingTag(account.tag)) throw new TypeError('sessions: account.tag is not a routing tag');
  checkInteger('authVersion', account.authVersion, 0, Number.MAX_SAFE_INTEGER);
  checkInteger('revision', account.revision, 0, Number.MAX_SAFE_INTEGER);
  if (account.userId.length === 0) throw new TypeError('sessions: account.userId is empty');
}

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8, never splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    out += char;
    bytes += size;
  }
  return out;
}
