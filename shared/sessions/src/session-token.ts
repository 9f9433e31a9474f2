import { hash, randomBytes } from 'node:crypto';

// Sizes in bytes; base64url lengths follow. The tag routes all of a user's keys to one Redis Cluster slot,
// the member makes the session id unique, the secret is the credential.
const TAG_BYTES = 12;
const MEMBER_BYTES = 16;
const SECRET_BYTES = 32;
const TAG_LENGTH = 16;
const MEMBER_LENGTH = 22;
const SECRET_LENGTH = 43;
const SESSION_ID_LENGTH = TAG_LENGTH + MEMBER_LENGTH;

/** Length of every token this package issues: `<session id>.<secret>`. */
export const TOKEN_LENGTH = SESSION_ID_LENGTH + 1 + SECRET_LENGTH;

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{38}$/;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{38}\.[A-Za-z0-9_-]{43}$/;
const TAG_PATTERN = /^[A-Za-z0-9_-]{16}$/;

/** A session id split into the parts the key layout uses. */
export interface SessionIdParts {
  /** The public session id (`tag` + `member`), safe to show to its owner; not a credential. */
  sessionId: string;
  /** The owner's routing tag (random, stored on the account). */
  tag: string;
  /** The session's own random part; the member of the per-user index. */
  member: string;
}

/** A syntactically valid token: its session id parts and the digest of its secret. */
export interface ParsedToken extends SessionIdParts {
  /** Hex SHA-256 of the secret: the only form of the secret that is ever stored or compared. */
  secretHash: string;
}

/** A freshly minted token; `token` is shown to the client once and never stored. */
export interface IssuedToken extends ParsedToken {
  token: string;
}

/** A new random routing tag for an account (CSPRNG, 96 bits). Store it with the account. */
export function newRoutingTag(): string {
  return randomBytes(TAG_BYTES).toString('base64url');
}

/** True when `tag` has the shape `newRoutingTag` produces. */
export function isRoutingTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** Mints `<tag><member>.<secret>` with a 128-bit member and a 256-bit secret from the CSPRNG. */
export function issueToken(tag: string): IssuedToken {
  if (!isRoutingTag(tag)) throw new TypeError('issueToken: not a routing tag');
  const member = randomBytes(MEMBER_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const sessionId = tag + member;
  return { sessionId, tag, member, secretHash: hashSecret(secret), token: `${sessionId}.${secret}` };
}

/**
 * Parses a token without trusting it. Returns null for anything that is not exactly the issued shape.
 * The secret is hashed as text, never base64-decoded, so a non-canonical encoding cannot alias a valid one.
 */
export function parseToken(token: string): ParsedToken | null {
  if (token.length !== TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) return null;
  const parts = splitSessionId(token.slice(0, SESSION_ID_LENGTH)) as SessionIdParts;
  return { ...parts, secretHash: hashSecret(token.slice(SESSION_ID_LENGTH + 1)) };
}

/** Splits a public session id (as listed by the store) into tag and member; null when malformed. */
export function splitSessionId(sessionId: string): SessionIdParts | null {
  if (sessionId.length !== SESSION_ID_LENGTH || !SESSION_ID_PATTERN.test(sessionId)) return null;
  return { sessionId, tag: sessionId.slice(0, TAG_LENGTH), member: sessionId.slice(TAG_LENGTH) };
}

function hashSecret(secret: string): string {
  // One-shot hash (Node >= 20.12): a third of createHash().update().digest() here, on every validation.
  return hash('sha256', secret, 'hex');
}
