import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { expressRoute, UNMATCHED_ROUTE } from '../metrics/route-label';
import { UNTRACED_PATHS } from '../telemetry/untraced-paths';
import { requestContext } from './request-context';

/** Options of {@link httpLogger}. */
export interface HttpLoggerOptions {
  /** The service logger (from `createLogger`). */
  logger: Logger;
  /**
   * Paths (without query) that get no access-log line.
   * @default ['/healthz', '/readyz', '/metrics']
   */
  ignorePaths?: Iterable<string>;
}

const pathOf = (url: string | undefined) => (url ?? '').split('?', 1)[0] ?? '';

/**
 * Request context plus one access-log line per request (`request completed` / `request errored` /
 * `request aborted`) with method, url, route, status and `duration_ms`; 5xx and errors at `error`.
 * It includes {@link requestContext}, so mount it instead of that, after http-kit's `requestId()`.
 * `req.log` is the service logger itself: the request id comes from the context, not a child binding.
 * Express 5 hides thrown errors from pino-http: the error middleware must set `res.err = err`.
 */
export function httpLogger(options: HttpLoggerOptions): RequestHandler {
  const { logger } = options;
  const ignored = new Set(options.ignorePaths ?? UNTRACED_PATHS);
  const bind = requestContext();
  const access = pinoHttp({
    logger,
    autoLogging: { ignore: (req) => ignored.has(pathOf(req.url)) },
    customAttributeKeys: { responseTime: 'duration_ms' },
    serializers: {
      req: (req: { method?: string; url?: string; remoteAddress?: string }) => ({
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    customSuccessMessage: (_req, res) => (res.writableFinished ? 'request completed' : 'request aborted'),
    customSuccessObject: (req, _res, val) => ({ ...val, route: routeOf(req) }),
    customErrorObject: (req, _res, _err, val) => ({ ...val, route: routeOf(req) }),
  });
  return (req, res, next) => {
    // Pre-set so pino-http does not bind a child per request: the mixin adds the request id.
    req.log ??= logger;
    res.log ??= logger;
    bind(req, res, () => access(req, res, next));
  };
}

function routeOf(req: IncomingMessage): string {
  return expressRoute(req as Request) ?? UNMATCHED_ROUTE;
}
