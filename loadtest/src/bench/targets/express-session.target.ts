import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { type BuiltTarget, required, type TargetConfig } from './target.types';

declare module 'express-session' {
  interface SessionData {
    userId: string;
    role: string;
    tier: string;
  }
}

/**
 * The common Express session stack, configured as its READMEs show: express-session with connect-redis on
 * node-redis (connect-redis 9 supports only node-redis), no resave, no uninitialised sessions. A valid
 * session costs a GET (+ parse) and, because the cookie has a maxAge, a touch (EXPIRE) per request.
 */
export async function expressSessionTarget(config: TargetConfig): Promise<BuiltTarget> {
  const client = createClient({ url: required(config.redisUrl, 'redisUrl') });
  client.on('error', () => {});
  await client.connect();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    session({
      store: new RedisStore({ client, prefix: 'bench:sess:' }),
      secret: 'bench-only-session-secret-not-a-real-one',
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 30 * 60 * 1000, httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.post('/login', (req, res) => {
    req.session.userId = '0195f1c2-7a3b-7cde-8f01-23456789abcd';
    req.session.role = 'user';
    req.session.tier = 'free';
    res.status(204).end();
  });
  app.get('/me', (req, res) => {
    if (!req.session.userId) {
      res.status(401).json({ code: 'E_UNAUTHENTICATED' });
      return;
    }
    res.json({ userId: req.session.userId, role: req.session.role, tier: req.session.tier });
  });
  return { app, close: async () => void (await client.quit()) };
}
