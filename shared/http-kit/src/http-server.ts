import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, silentLogger } from './logger';
import { ServerDrainer } from './server-drain';

/** Options of {@link startHttpServer}. */
export interface StartHttpServerOptions {
  /**
   * Port to listen on; 0 picks a free one (tests).
   * @default 0
   */
  readonly port?: number;
  /**
   * Interface to bind.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of whatever pools
   * connections to us (the gateway's upstream agent, load balancers at 60 s), so the pool always closes
   * first and never reuses a socket we are closing.
   * @default 65000
   */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Deadline for receiving a request's headers (slow-loris bound).
   * @default 15000
   */
  readonly headersTimeoutMs?: number;
  /**
   * Deadline for receiving a whole request (headers and body).
   * @default 30000
   */
  readonly requestTimeoutMs?: number;
  /**
   * Default drain bound of `close()`.
   * @default 10000
   */
  readonly closeTimeoutMs?: number;
  /** Logs a forced close. @default silent */
  readonly logger?: Logger;
}

/** A listening server. */
export interface RunningHttpServer {
  readonly server: Server;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /** Drains and closes the server (see {@link ServerDrainer.drain}); idempotent. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Starts `app` (an Express app or any request listener) on `host:port` with production timeouts and
 * in-flight tracking for graceful shutdown. Resolves once listening; rejects on a listen error such as
 * EADDRINUSE.
 */
export async function startHttpServer(
  app: RequestListener,
  options: StartHttpServerOptions = {},
): Promise<RunningHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? silentLogger;
  const closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs ?? 15_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    },
    app,
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  const drainer = ServerDrainer.for(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    port,
    url: `http://${urlHost}:${port}`,
    close: (timeoutMs = closeTimeoutMs) => drainer.drain(timeoutMs, logger),
  };
}
