import net from 'node:net';

/** One HTTP/1.1 response as it arrived on the wire. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; repeated fields joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Everything a raw connection received before it closed (or the wait ended). */
export interface RawExchange {
  readonly responses: RawResponse[];
  /** The server closed the connection (FIN or reset) within the wait. */
  readonly closed: boolean;
  /** The connection was reset rather than closed. */
  readonly reset: boolean;
  /** Bytes that did not parse as a complete response (a truncated answer). */
  readonly rest: string;
}

/** Options of {@link rawExchange}. */
export interface RawExchangeOptions {
  /** Stop waiting after this long (the connection is then destroyed). @default 3000 */
  readonly timeoutMs?: number;
  /** Stop as soon as this many complete responses arrived. @default wait for close or timeout */
  readonly responses?: number;
  /** Parts written one after another, with this pause between them (slow clients). @default 0 */
  readonly pauseMs?: number;
  /** The responses answer HEAD requests: their Content-Length announces no body. @default false */
  readonly head?: boolean;
}

/**
 * Writes `payload` (bytes exactly as given: no client library normalises them) to `host:port` and
 * collects the responses. `payload` may be several parts, written `pauseMs` apart.
 */
export function rawExchange(
  port: number,
  payload: string | readonly string[],
  options: RawExchangeOptions = {},
): Promise<RawExchange> {
  const parts = typeof payload === 'string' ? [payload] : payload;
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let reset = false;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses, rest } = parseResponses(received.toString('latin1'), options.head);
      resolve({ responses, closed, reset, rest });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 3000);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (options.responses !== undefined) {
        const { responses } = parseResponses(received.toString('latin1'), options.head);
        if (responses.length >= options.responses) finish(false);
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
    });
    socket.on('close', () => finish(true));
    socket.once('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
        if (socket.destroyed) return;
        socket.write(Buffer.from(part, 'latin1'));
      }
    });
  });
}

/**
 * Splits a byte stream into complete responses (Content-Length or chunked bodies; none when `head`); the
 * remainder is `rest`.
 */
export function parseResponses(
  text: string,
  head = false,
): { responses: RawResponse[]; rest: string; ends: number[] } {
  const responses: RawResponse[] = [];
  /** Offset just past each response in `responses`. */
  const ends: number[] = [];
  let at = 0;
  for (;;) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const lines = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
    if (!Number.isInteger(status)) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let cursor = end + 4;
    let body = '';
    if (!head && headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      let complete = false;
      for (;;) {
        const lineEnd = text.indexOf('\r\n', cursor);
        if (lineEnd === -1) break;
        const size = Number.parseInt(text.slice(cursor, lineEnd), 16);
        if (Number.isNaN(size) || text.length < lineEnd + 2 + size + 2) break;
        if (size === 0) {
          cursor = lineEnd + 4;
          complete = true;
          break;
        }
        body += text.slice(lineEnd + 2, lineEnd + 2 + size);
        cursor = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
    } else {
      const length = head || status === 204 || status === 304 ? 0 : Number(headers['content-length'] ?? 0);
      if (text.length < cursor + length) break;
      body = text.slice(cursor, cursor + length);
      cursor += length;
    }
    // 1xx interim answers (100 Continue) are consumed but not reported.
    if (status >= 200) {
      responses.push({ status, headers, body });
      ends.push(cursor);
    }
    at = cursor;
  }
  return { responses, rest: text.slice(at), ends };
}

/** The JSON body of a response (problem+json or application/json). */
export function jsonOf(response: RawResponse | undefined): Record<string, unknown> {
  if (!response) throw new Error('no response');
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** A request as raw bytes: `head` lines joined with CRLF, a blank line, then `body` exactly as given. */
export function rawRequest(head: readonly string[], body = ''): string {
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}

/** A chunked body holding `content` in one chunk, terminated. */
export function chunked(content: string): string {
  return `${Buffer.byteLength(content, 'latin1').toString(16)}\r\n${content}\r\n0\r\n\r\n`;
}

/**
 * A kept-alive raw connection for several exchanges in a row (or pipelined): `send` writes bytes and
 * resolves with the next `count` responses in arrival order.
 */
export class RawConnection {
  readonly #socket: net.Socket;
  #buffer = '';
  #closed = false;
  #waiter: { count: number; resolve: (r: RawResponse[]) => void; reject: (e: Error) => void } | undefined;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString('latin1');
      this.#deliver();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.#waiter?.reject(new Error(`connection closed; unparsed: ${this.#buffer.slice(0, 200)}`));
      this.#waiter = undefined;
    });
  }

  /** Opens a connection to `127.0.0.1:port`. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** The server closed this connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes `payload` and resolves with the next `count` complete responses (rejects if the connection closes first, or after `timeoutMs`). */
  send(payload: string, count = 1, timeoutMs = 10_000): Promise<RawResponse[]> {
    if (this.#waiter) throw new Error('one send at a time');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`no ${count} responses within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiter = {
        count,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#socket.write(Buffer.from(payload, 'latin1'));
      this.#deliver();
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #deliver(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const { responses, ends } = parseResponses(this.#buffer);
    if (responses.length < waiter.count) return;
    // Anything past the responses asked for stays for the next send (a server answering unasked shows there).
    this.#buffer = this.#buffer.slice(ends[waiter.count - 1]);
    this.#waiter = undefined;
    waiter.resolve(responses.slice(0, waiter.count));
  }
}
