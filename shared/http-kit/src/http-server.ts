import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, silentLogger } from './logger';
import { answerParserErrors, requireHost } from './parser-errors';
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
   * How often Node checks the two deadlines above. Node's own default (30 s) would let a header deadline
   * of 15 s run to 45 s.
   * @default 1000
   */
  readonly timeoutCheckIntervalMs?: number;
  /**
   * Most bytes of request line and headers; more is a 431 `E_HEADERS_TOO_LARGE`.
   * @default 16384 (Node's default)
   */
  readonly maxHeaderBytes?: number;
  /**
   * Most header fields Node parses per request. Node ignores the fields past this count without an error,
   * so a handler that must see every field (the gateway) refuses a request that reaches it.
   * @default 2000 (Node's default)
   */
  readonly maxHeadersCount?: number;
  /** Called with each new connection before Node reads from it (per-address accounting). @default none */
  readonly onConnection?: (socket: Socket) => void;
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
 * in-flight tracking for graceful shutdown. Node's parser runs strict (`insecureHTTPParser: false`
 * whatever `--insecure-http-parser` says), and what it refuses before `app` runs is answered with a
 * problem+json contract code (see `answerParserErrors`). Resolves once listening; rejects on a listen error
 * such as EADDRINUSE.
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
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1000,
      maxHeaderSize: options.maxHeaderBytes ?? 16_384,
      insecureHTTPParser: false,
      // Checked by requireHost instead, so the 400 follows the contract.
      requireHostHeader: false,
    },
    requireHost(app),
  );
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 65_000;
  server.maxHeadersCount = options.maxHeadersCount ?? 2000;
  if (options.onConnection) server.prependListener('connection', options.onConnection);
  answerParserErrors(server, logger);
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
