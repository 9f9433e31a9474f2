import { expressRateLimit, type RateLimiter } from '@redwire/ratelimit';
import express, { type Express, type Request } from 'express';

/** An API key as this API issues them; anything else is treated as no key. */
const API_KEY = /^[A-Za-z0-9_-]{16,64}$/;

/** The policies: per API key a rate and a daily quota; callers without a key share a small per-address rate. */
export const POLICIES = [
  { name: 'key-rate', limit: 5, period: 1, burst: 10 },
  { name: 'key-daily', algorithm: 'fixed-window', limit: 10_000, period: 86_400 },
  { name: 'anonymous', limit: 1, period: 1, burst: 3 },
] as const;

/**
 * Whose quota a request spends: its API key's two policies, or, without a (well-formed) key, the
 * per-address one. One decision covers the named policies, all-or-nothing.
 */
function rateLimitKey(req: Request): Record<string, string> {
  const apiKey = req.get('x-api-key');
  if (apiKey && API_KEY.test(apiKey)) return { 'key-rate': apiKey, 'key-daily': apiKey };
  return { anonymous: req.ip ?? req.socket.remoteAddress ?? 'unknown' };
}

/** The API: `/health` is never limited; every `/api` route is, and a report costs 5 units. */
export function createApp(limiter: RateLimiter): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/api',
    expressRateLimit(limiter, {
      key: rateLimitKey,
      cost: (req) => (req.method === 'POST' && req.path === '/reports' ? 5 : 1),
    }),
  );
  app.get('/api/quotes', (_req, res) => {
    res.json({ quote: 'Simplicity is prerequisite for reliability.' });
  });
  app.post('/api/reports', (_req, res) => {
    res.status(202).json({ status: 'queued' });
  });
  return app;
}
