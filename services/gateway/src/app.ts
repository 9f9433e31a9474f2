import type { RequestListener } from 'node:http';
import {
  createServiceApp,
  type Logger,
  type ReadinessCheck,
  type StartHttpServerOptions,
} from '@redwire/http-kit';
import type { Express, RequestHandler } from 'express';
import { createGatewayHandler, type GatewayHandlerDeps } from './gateway/gateway.handler';

/** What {@link createGatewayApp} needs besides the public handler's dependencies. */
export interface GatewayAppDeps extends GatewayHandlerDeps {
  /** Serves the Prometheus registry (observability's `metricsHandler`). */
  readonly metricsHandler: RequestHandler;
  /** `/readyz` checks (redis). */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly logger: Logger;
  /** Wired to the shutdown handle so `/readyz` answers 503 draining once shutdown started. */
  readonly isShuttingDown: () => boolean;
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
  // The admin port is a service app like the others, with only the probes and /metrics as routes.
  const admin = createServiceApp({
    logger: deps.logger,
    readiness: deps.readiness,
    isShuttingDown: deps.isShuttingDown,
    metrics: { metricsHandler: deps.metricsHandler },
    routes: () => {},
  });
  return { handler: createGatewayHandler(deps), admin, publicServer: deps.publicServer };
}
