import { SessionReader, tokenFromHeaders } from '@redwire/sessions';
import express from 'express';
import { readyRequestClient } from '../parts/request-client';
import { type BuiltTarget, required, type TargetConfig } from './target.types';

/**
 * redwire's session validation through Express, the way the gateway uses it: token from the Authorization
 * header (or cookie), one EVALSHA through SessionReader on a request-path client, 401 when invalid.
 */
export async function sessionReaderTarget(config: TargetConfig): Promise<BuiltTarget> {
  const redis = await readyRequestClient(required(config.redisUrl, 'redisUrl'), 'bench');
  const reader = new SessionReader({
    redis,
    ...(config.namespace ? { namespace: config.namespace } : {}),
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/me', async (req, res) => {
    const found = tokenFromHeaders(req.headers);
    const result = found ? await reader.validate(found.token) : undefined;
    if (!result?.valid) {
      res.status(401).json({ code: 'E_UNAUTHENTICATED' });
      return;
    }
    const { session } = result;
    res.json({ userId: session.userId, role: session.role, tier: session.tier });
  });
  return { app, close: async () => void (await redis.quit()) };
}
