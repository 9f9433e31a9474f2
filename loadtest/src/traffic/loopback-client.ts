import http from 'node:http';

/** What one request got: a status and body, or no answer at all (status 0 and why). */
export interface HttpOutcome {
  /** 0 when no HTTP response arrived (refused, reset, timed out). */
  readonly status: number;
  /** For status 0: `ECONNREFUSED`, `ECONNRESET`, `timeout`, … */
  readonly error?: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request to a gateway on loopback. */
export interface LoopbackRequest {
  readonly port: number;
  readonly method: string;
  readonly path: string;
  /** The source address (`127.x.y.z`): each simulated client has its own, so per-IP limits see it alone. */
  readonly localAddress: string;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Sent as a JSON body. */
  readonly json?: unknown;
}

/** Options of {@link LoopbackClient}. */
export interface LoopbackClientOptions {
  /** Past this a request is abandoned and counted as no answer. @default 10000 (the gateway's upstream timeout) */
  readonly timeoutMs?: number;
}

/**
 * HTTP/1.1 keep-alive client for many simulated clients at once: one agent, which pools connections per
 * (host, port, source address), so each client keeps its own connections like a real one. Never throws:
 * a failure is an outcome.
 */
export class LoopbackClient {
  readonly #agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  readonly #timeoutMs: number;

  constructor(options: LoopbackClientOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0)
      throw new RangeError('timeoutMs must be > 0');
  }

  send(request: LoopbackRequest): Promise<HttpOutcome> {
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    const headers: http.OutgoingHttpHeaders = {};
    if (request.token) headers.authorization = `Bearer ${request.token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: HttpOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = http.request({
        host: '127.0.0.1',
        port: request.port,
        method: request.method,
        path: request.path,
        headers,
        localAddress: request.localAddress,
        agent: this.#agent,
      });
      const timer = setTimeout(() => {
        settle({ status: 0, error: 'timeout', headers: {}, body: '' });
        req.destroy();
      }, this.#timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          settle({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', (error: NodeJS.ErrnoException) =>
          settle({ status: 0, error: error.code ?? 'ECONNRESET', headers: {}, body: '' }),
        );
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        settle({ status: 0, error: error.code ?? error.message, headers: {}, body: '' }),
      );
      req.end(body);
    });
  }

  /** Closes every pooled connection. */
  close(): void {
    this.#agent.destroy();
  }
}
