import {
  expressSession,
  type SessionCookie,
  type SessionReader,
  type SessionStore,
  sessionOf,
  tokenFromHeaders,
} from '@redwire/sessions';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Users } from './users';

/** What the app is built from: the session store and reader, the cookie, and the user table. */
export interface AppParts {
  readonly store: SessionStore;
  readonly reader: SessionReader;
  readonly cookie: SessionCookie;
  readonly users: Users;
}

/**
 * `POST /sign-in` creates a session (token in the body and the cookie), `GET /me` and the routes after it
 * need one, `POST /sign-out` ends it. `/health` and `/` need none.
 */
export function createApp({ store, reader, cookie, users }: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '1kb' }));
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/sign-in', async (req, res) => {
    const { name, password } = (req.body ?? {}) as { name?: unknown; password?: unknown };
    const user =
      typeof name === 'string' && typeof password === 'string' ? users.check(name, password) : undefined;
    if (!user) return void res.status(401).json({ error: 'wrong name or password' });
    const signIn = await store.create(user.account, { userAgent: req.get('user-agent'), ip: req.ip });
    // The password changed between the check and here: the caller signs in again.
    if (!signIn.created) return void res.status(409).json({ error: 'account changed, sign in again' });
    cookie.set(res, signIn.token);
    res.set('Cache-Control', 'no-store');
    res.status(201).json({ token: signIn.token, expiresAt: signIn.session.expiresAt });
  });

  app.post('/sign-out', async (req, res) => {
    const found = tokenFromHeaders(req.headers, cookie.name);
    if (found) await store.revokeToken(found.token);
    cookie.clear(res);
    res.status(204).end();
  });

  // Every route below needs a valid session: 401 without one, 503 when Redis cannot be asked.
  app.use(expressSession(reader, { cookieName: cookie.name }));

  app.get('/me', (req, res) => {
    const session = sessionOf(req);
    if (!session) throw new Error('expressSession let a request through without a session');
    const user = users.byId(session.userId);
    res.json({
      name: user?.name,
      role: session.role,
      sessionId: session.sessionId,
      expiresAt: session.expiresAt,
    });
  });

  app.get('/me/sessions', async (req, res) => {
    const user = users.byId(sessionOf(req)?.userId ?? '');
    if (!user) return void res.status(404).end();
    const sessions = await store.list(user.account.tag);
    res.json(sessions.map(({ sessionId, createdAt, userAgent }) => ({ sessionId, createdAt, userAgent })));
  });

  // A password change ends every session of the account at once, this one included.
  app.post('/me/password', async (req, res) => {
    const { password } = (req.body ?? {}) as { password?: unknown };
    const user = users.byId(sessionOf(req)?.userId ?? '');
    if (!user || typeof password !== 'string' || password.length < 8)
      return void res.status(400).json({ error: 'a password of 8 characters or more' });
    await store.syncAccount(users.changePassword(user, password));
    cookie.clear(res);
    res.status(204).end();
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: error instanceof Error ? error.message : 'failed' });
  });
  return app;
}
