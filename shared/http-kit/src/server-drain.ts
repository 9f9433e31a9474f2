import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from './logger';

const drainers = new WeakMap<Server, ServerDrainer>();

/**
 * Tracks the responses a server has in flight so a shutdown can tell their clients not to reuse the
 * connection (`Connection: close` on responses not yet started) instead of racing them with a socket close.
 */
export class ServerDrainer {
  readonly #server: Server;
  readonly #inFlight = new Set<ServerResponse>();
  #draining: Promise<void> | undefined;

  private constructor(server: Server) {
    this.#server = server;
    // Prepended so it runs before the app can answer synchronously.
    server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (this.#draining) res.setHeader('Connection', 'close');
      this.#inFlight.add(res);
      res.once('close', () => this.#inFlight.delete(res));
    });
  }

  /** The drainer of `server`, created (and tracking) on first use. Call it before the server takes traffic. */
  static for(server: Server): ServerDrainer {
    let drainer = drainers.get(server);
    if (!drainer) {
      drainer = new ServerDrainer(server);
      drainers.set(server, drainer);
    }
    return drainer;
  }

  /** Responses started and not yet closed. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Stops accepting connections, lets in-flight requests finish, closes keep-alive sockets as soon as they
   * are idle, and destroys whatever is still open after `timeoutMs`. Idempotent: later calls share the
   * first drain.
   */
  drain(timeoutMs: number, logger: Logger): Promise<void> {
    this.#draining ??= this.#drain(timeoutMs, logger);
    return this.#draining;
  }

  async #drain(timeoutMs: number, logger: Logger): Promise<void> {
    const server = this.#server;
    for (const res of this.#inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    const closed = new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
    });
    // A socket whose response started before the drain becomes idle later; close it the moment it does.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(() => {
      logger.warn({ inFlight: this.inFlight, timeoutMs }, 'drain deadline reached; closing open connections');
      server.closeAllConnections();
    }, timeoutMs);
    try {
      server.closeIdleConnections();
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(force);
    }
  }
}
