import type { IncomingHttpHeaders } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What an upstream stub saw of one request. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** How the stub answers; the default echoes the request as JSON. */
export type StubBehaviour = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

/**
 * A stand-in for the user or auth service: records every request and answers with `behaviour`. The
 * gateway's own behaviour (headers, streaming, timeouts) is what the tests look at, not the services'.
 */
export class UpstreamStub {
  readonly seen: SeenRequest[] = [];
  connections = 0;
  behaviour: StubBehaviour = (req, res, body) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end(JSON.stringify({ method: req.method, url: req.url, bytes: body.length }));
  };
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      this.behaviour(req, res, body);
    });
  });

  constructor() {
    this.#server.on('connection', () => {
      this.connections++;
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  last(): SeenRequest {
    const last = this.seen[this.seen.length - 1];
    if (!last) throw new Error('the upstream saw no request');
    return last;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
