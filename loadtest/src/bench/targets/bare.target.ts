import express from 'express';
import { type BuiltTarget, SAMPLE_USER } from './target.types';

/**
 * The ceiling of an Express service on this machine: routes that answer fixed JSON with no I/O. Serves as
 * the "bare route" baseline and as the backend behind every proxy variant.
 */
export function bareTarget(): BuiltTarget {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/users/:id', (_req, res) => {
    res.json(SAMPLE_USER);
  });
  app.get('/me', (_req, res) => {
    res.json({ userId: SAMPLE_USER.id, role: 'user', tier: 'free' });
  });
  return { app, close: async () => {} };
}
