import type { RequestListener } from 'node:http';
import {
  errorHandler,
  healthzHandler,
  type Logger,
  notFoundHandler,
  type ReadinessCheck,
  readinessHandler,
  type StartHttpServerOptions,
} from '@redwire/http-kit';
import express, { type Express, type RequestHandler } from 'express';
import { createGatewayHandler, type GatewayHandlerDeps } from './gateway/gateway.handler';

/** What {@link createGatewayApp} needs besides the public handler's dependencies. */
export interface GatewayAppDeps extends GatewayHandlerDeps {
  /** Serves the Prometheus registry (observability's `metricsHandler`). */
  readonly metricsHandler: RequestHandler;
  /** `/readyz` checks (redis). */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly logger: Logger;
  /** Wired to the shutdown so `/readyz` turns 503 while draining. @default () => false */
  readonly isShuttingDown?: () => boolean;
  /** How the public server is started: its timeouts and header limits (see config.ts). */
  readonly publicServer: PublicServerOptions;
}

/** The public server's own settings; port, host and logger come from the caller. */
export type PublicServerOptions = Pick<
  StartHttpServerOptions,
  | 'headersTimeoutMs'
  | 'requestTimeoutMs'
  | 'keepAliveTimeoutMs'
  | 'maxHeaderBytes'
  | 'maxHeadersCount'
  | 'onConnection'
>;

/** The gateway's two listeners: the public one and the admin one. */
export interface GatewayApp {
  /** Public port: the proxied API and `/healthz`. A plain node:http listener (see gateway.handler.ts). */
  readonly handler: RequestListener;
  /**
   * Pass to `startHttpServer` with the public handler (main.ts and the tests do): the timeouts, header
   * limits and per-address connection accounting the handler's guarantees rely on.
   */
  readonly publicServer: PublicServerOptions;
  /** Admin port (loopback / internal network): `/metrics`, `/readyz`, `/healthz`. */
  readonly admin: Express;
}

/** Builds both listeners from injected dependencies; main.ts and the tests call it the same way. */
export function createGatewayApp(deps: GatewayAppDeps): GatewayApp {
  const admin = express();
  admin.disable('x-powered-by');
  admin.get('/healthz', healthzHandler());
  admin.get(
    '/readyz',
    readinessHandler({ checks: deps.readiness, isShuttingDown: deps.isShuttingDown, logger: deps.logger }),
  );
  admin.get('/metrics', deps.metricsHandler);
  admin.use(notFoundHandler());
  admin.use(errorHandler({ logger: deps.logger }));
  return { handler: createGatewayHandler(deps), admin, publicServer: deps.publicServer };
}
