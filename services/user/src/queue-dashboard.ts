import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { healthzHandler } from '@redwire/http-kit';
import type { Queue } from 'bullmq';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';

/** Where the dashboard is mounted on the admin listener. */
export const QUEUE_DASHBOARD_PATH = '/queues';

/** Options of {@link createQueueDashboard}. */
export interface QueueDashboardOptions {
  /** The queues to show (the worker's own Queue objects, or the standalone entry point's). */
  readonly queues: readonly Queue[];
  /** Hide retry, delete, promote, clean, pause and add: look, do not touch. @default false */
  readonly readOnly?: boolean;
}

/**
 * Host names the dashboard answers to. It has no login: loopback is its access control, and refusing other
 * `Host` values keeps a web page from reaching it through DNS rebinding (a name of the attacker's that
 * resolves to 127.0.0.1).
 */
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Everything the page may load comes from the dashboard itself (bull-board's UI package ships its
 * assets); inline styles and eval stay allowed because the UI bundle uses them.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/** `<link href="https://...">` / `<script src="https://...">`: bull-board's page asks Google Fonts for its font. */
const REMOTE_ASSET =
  /<(?:link|script)\b[^>]*\b(?:href|src)=["'](?:https?:)?\/\/[^"']*["'][^>]*>(?:\s*<\/script>)?/gi;

/**
 * The worker's queue dashboard: bull-board over the given queues at {@link QUEUE_DASHBOARD_PATH}, plus
 * `/healthz`. It can retry, promote and delete jobs (unless `readOnly`) and has no login of its own, so it
 * must only ever be bound to loopback (ADMIN_HOST, docs in the package README).
 */
export function createQueueDashboard(options: QueueDashboardOptions): Express {
  const serverAdapter = new ExpressAdapter().setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: options.queues.map(
      (queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly ?? false }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'redwire queues' } },
  });

  const app = express();
  app.disable('x-powered-by');
  app.use(loopbackOnly);
  app.get('/healthz', healthzHandler());
  app.use(QUEUE_DASHBOARD_PATH, localAssetsOnly, serverAdapter.getRouter() as express.Router);
  return app;
}

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return '';
  }
}

/** Refuses requests addressed to a non-loopback name, and cross-site requests that change something. */
function loopbackOnly(req: Request, res: Response, next: NextFunction): void {
  if (!LOOPBACK_NAMES.has(hostnameOf(req.headers.host))) {
    res.status(403).type('text/plain').send('the queue dashboard answers on loopback names only\n');
    return;
  }
  if (!SAFE_METHODS.has(req.method)) {
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const crossSite = site !== undefined && site !== 'same-origin' && site !== 'none';
    const foreignOrigin =
      origin !== undefined && (origin === 'null' || !LOOPBACK_NAMES.has(hostnameOf(originHost(origin))));
    if (crossSite || foreignOrigin) {
      res.status(403).type('text/plain').send('cross-site requests may not change queues\n');
      return;
    }
  }
  next();
}

function originHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return '';
  }
}

/** Sets the policy and renders bull-board's page without its remote font link. */
function localAssetsOnly(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  const render = res.render.bind(res) as (
    view: string,
    options: object | undefined,
    done: (error: Error | null, html?: string) => void,
  ) => void;
  res.render = ((view: string, options?: object) =>
    render(view, options, (error, html) => {
      if (error) next(error);
      else res.type('html').send((html ?? '').replace(REMOTE_ASSET, ''));
    })) as Response['render'];
  next();
}
