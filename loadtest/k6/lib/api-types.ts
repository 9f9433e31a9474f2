// The docs/api.md bodies the scenarios read, with guards: a response that does not match is a failed check,
// never a crash in the middle of an iteration.

/** `GET /users/:id` (`email` only for self or an admin). */
export interface User {
  id: string;
  email?: string;
  name: string;
  bio: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** The public session view returned by login and `/auth/me`. */
export interface Session {
  id: string;
  createdAt: string;
  expiresAt: string;
  idleExpiresAt: string;
}

/** `POST /auth/login` → 200. */
export interface LoginResult {
  user: User;
  token: string;
  session: Session;
}

/** `GET /users?limit=&cursor=` → 200. */
export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Narrows to a user: id, name, version and (when present) email are checked. */
export function isUser(v: unknown): v is User {
  return (
    isRecord(v) &&
    typeof v.id === 'string' &&
    typeof v.name === 'string' &&
    typeof v.version === 'number' &&
    (v.email === undefined || typeof v.email === 'string')
  );
}

/** `POST /auth/register` → 201 `{user}`. */
export function readRegistered(body: unknown): User | undefined {
  return isRecord(body) && isUser(body.user) ? body.user : undefined;
}

/** `POST /auth/login` → 200 `{user, token, session}`. */
export function readLogin(body: unknown): LoginResult | undefined {
  if (!isRecord(body) || !isUser(body.user) || typeof body.token !== 'string' || body.token === '') {
    return undefined;
  }
  const session = body.session;
  if (!isRecord(session) || typeof session.id !== 'string') return undefined;
  return body as unknown as LoginResult;
}

/** `GET /auth/me` → 200 `{user, session}`: the user part. */
export function readMe(body: unknown): User | undefined {
  return isRecord(body) && isUser(body.user) && isRecord(body.session) ? body.user : undefined;
}

/** `GET /users` → 200 `{items, nextCursor}`. */
export function readUserPage(body: unknown): UserPage | undefined {
  if (!isRecord(body) || !Array.isArray(body.items) || !body.items.every(isUser)) return undefined;
  const cursor = body.nextCursor;
  if (cursor !== null && cursor !== undefined && typeof cursor !== 'string') return undefined;
  return { items: body.items, nextCursor: cursor ?? null };
}
