import { expressSession, SessionReader, sessionOf } from '@redwire/sessions';
import express from 'express';
import { readyRequestClient } from '../parts/request-client';
import { type BuiltTarget, required, type TargetConfig } from './target.types';

/**
 * redwire's session validation through Express with the package's public API: `expressSession(reader)` in
 * front of the route (token from the Authorization header or the cookie, one EVALSHA through SessionReader
 * with its default deadline and breaker, on a request-path client (single node, or a cluster with
 * `clusterNodes`); 401 problem+json when invalid).
 */
export async function sessionReaderTarget(config: TargetConfig): Promise<BuiltTarget> {
  const redis = await readyRequestClient(
    config.clusterNodes ? { clusterNodes: config.clusterNodes } : required(config.redisUrl, 'redisUrl'),
    'bench',
  );
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
  app.get('/me', expressSession(reader), (req, res) => {
    const session = sessionOf(req);
    res.json({ userId: session?.userId, role: session?.role, tier: session?.tier });
  });
  return {
    app,
    close: async () => {
      reader.close();
      await redis.quit();
    },
  };
}
