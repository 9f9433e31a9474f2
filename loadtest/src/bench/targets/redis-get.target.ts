import express from 'express';
import { Redis } from 'ioredis';
import { type BuiltTarget, required, type TargetConfig } from './target.types';

/** The naive cache read: one GET, JSON.parse, res.json. The ceiling for a service answering from Redis. */
export function redisGetTarget(config: TargetConfig): BuiltTarget {
  const redis = new Redis(required(config.redisUrl, 'redisUrl'));
  const key = required(config.key, 'key');
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/users/:id', async (_req, res) => {
    const raw = await redis.get(key);
    if (raw === null) {
      res.status(404).json({ code: 'E_USER_NOT_FOUND' });
      return;
    }
    res.json(JSON.parse(raw));
  });
  return { app, close: async () => void (await redis.quit()) };
}
