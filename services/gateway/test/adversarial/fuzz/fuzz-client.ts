import http from 'node:http';

/** Where a fuzz request goes: through the gateway, or straight to a service (playing the gateway). */
export type Target = 'gateway' | 'user' | 'auth';

/**
 * One generated request. Values that depend on the live fixtures (ids, tokens, signed identities) are
 * placeholders (`«self.id»`, `«admin.token»`, `«identity:self»` …) resolved when it is sent, so a case
 * stays meaningful after a fixture account was replaced.
 */
export interface FuzzRequest {
  readonly target: Target;
  /** Route id of the catalogue, or `unrouted`. */
  readonly route: string;
  readonly method: string;
  readonly path: string;
  /** Header pairs in order; a name may repeat. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: string | Uint8Array;
  /** Cases Node's HTTP parser answers before any application code (oversized headers). */
  readonly parserLevel?: boolean;
}

/** What came back. `error` only when no status line arrived. */
export interface FuzzResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The server closed the connection after answering (fine after a 4xx). */
  readonly closed: boolean;
}

export type SendResult =
  | { readonly kind: 'response'; readonly response: FuzzResponse }
  /** The connection failed before a status line arrived: a reset, a hang-up, a timeout. */
  | { readonly kind: 'no-response'; readonly error: string }
  /** Node's client refused to send it (an invalid header value): not a server finding. */
  | { readonly kind: 'unsendable'; readonly error: string };

const agents = new Map<string, http.Agent>();

function agentFor(origin: string): http.Agent {
  let agent = agents.get(origin);
  if (!agent) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(origin, agent);
  }
  return agent;
}

/** Closes the pooled connections. */
export function closeAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

/**
 * Sends one request with node:http (raw header pairs, duplicates kept, the path sent as written). A
 * keep-alive socket the server closed between two requests fails the next one with ECONNRESET before it
 * was processed; that race is the client's, so such a request is retried once on a fresh socket.
 */
export async function send(baseUrl: string, req: FuzzRequest, timeoutMs = 15_000): Promise<SendResult> {
  const first = await sendOnce(baseUrl, req, timeoutMs);
  if (first.kind === 'no-response' && first.error.startsWith('reused:'))
    return sendOnce(baseUrl, req, timeoutMs, true);
  return first;
}

function sendOnce(baseUrl: string, req: FuzzRequest, timeoutMs: number, fresh = false): Promise<SendResult> {
  const url = new URL(baseUrl);
  // Headers given as a list are sent exactly as listed: Node adds no Host then, and HTTP/1.1 requires one.
  const flat: string[] = ['host', url.host];
  for (const [name, value] of req.headers) flat.push(name, value);
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  if (body !== undefined && !req.headers.some(([n]) => n.toLowerCase() === 'content-length')) {
    flat.push('content-length', String(body.length));
  }
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = http.request({
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.path,
        headers: flat,
        agent: fresh ? false : agentFor(url.origin),
        timeout: timeoutMs,
      });
    } catch (error) {
      resolve({ kind: 'unsendable', error: (error as Error).message });
      return;
    }
    let settled = false;
    const done = (result: SendResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    request.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const finish = () =>
        done({
          kind: 'response',
          response: {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            closed: res.headers.connection === 'close',
          },
        });
      res.on('end', finish);
      // A body cut short after the status line is still an answer; the status decides.
      res.on('error', finish);
      res.on('aborted', finish);
    });
    request.on('timeout', () => request.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const reused = request.reusedSocket && error.code === 'ECONNRESET';
      done({ kind: 'no-response', error: `${reused ? 'reused:' : ''}${error.code ?? ''} ${error.message}` });
    });
    try {
      request.end(body);
    } catch (error) {
      done({ kind: 'unsendable', error: (error as Error).message });
    }
  });
}
