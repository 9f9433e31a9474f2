import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppError } from './app-error';
import { errors } from './errors';
import type { Logger } from './logger';
import { toProblem } from './problem';
import { REQUEST_ID_HEADER } from './request-id.middleware';

/**
 * After a refusal the socket is half-closed (FIN sent); a peer that keeps it open is cut after this long,
 * so a refused connection cannot linger.
 */
const LINGER_MS = 1000;
/** Longest wait for the answers to earlier pipelined requests before a refusal cuts the connection. */
const IN_FLIGHT_WAIT_MS = 30_000;

type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null };

/** What Node's parser or server refused, as a contract error. */
function toContractError(code: string | undefined): AppError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return errors.E_HEADERS_TOO_LARGE();
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return errors.E_PAYLOAD_TOO_LARGE('The chunk extensions are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errors.E_REQUEST_TIMEOUT();
    default:
      return errors.E_MALFORMED_REQUEST();
  }
}

/**
 * Whether the refused request is a HEAD, as far as the bytes the parser failed on tell. A HEAD's answer
 * has no body, and a client reads any body bytes as a second response (Node's client fails the request
 * with "Data after `Connection: close`"). The packet usually starts with the request line; when the line
 * arrived in an earlier packet of a keep-alive connection it cannot be known, and the body is sent.
 */
function isHeadRequest(rawPacket: unknown): boolean {
  if (!Buffer.isBuffer(rawPacket)) return false;
  let start = 0;
  // RFC 9112 §2.2: a server ignores at least one empty line before the request line.
  while (start < rawPacket.length && (rawPacket[start] === 0x0d || rawPacket[start] === 0x0a)) start++;
  return rawPacket.toString('latin1', start, start + 5) === 'HEAD ';
}

/**
 * A whole HTTP/1.1 response carrying `error` as problem+json, ending the connection. For a HEAD the
 * headers describe the body without sending it.
 */
export function problemResponseBytes(
  error: AppError,
  requestId: string = randomUUID(),
  options: { readonly head?: boolean } = {},
): Buffer {
  const body = JSON.stringify(toProblem(error, requestId));
  const lines = [
    `HTTP/1.1 ${error.status} ${error.title}`,
    'Content-Type: application/problem+json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Cache-Control: no-store',
    `${REQUEST_ID_HEADER}: ${requestId}`,
    'Connection: close',
    ...Object.entries(error.headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${options.head ? '' : body}`, 'latin1');
}

/** Writes `error` as the socket's last answer, then closes it (at once if the peer does not). */
function answerOnSocket(socket: Duplex, error: AppError, head = false): void {
  if (socket.writable) socket.end(problemResponseBytes(error, randomUUID(), { head }));
  else socket.destroy();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Runs `then` once every response to an earlier request on `socket` has been written. A parse error can
 * arrive while the answer to an earlier, pipelined request is still being made: written at once, the
 * refusal would be read as that request's answer (and Node's own default does exactly that).
 */
function afterAnswersInFlight(socket: HttpSocket, then: () => void, deadline: NodeJS.Timeout): void {
  // Node attaches the next queued response in its own 'finish' listener, which ran before this one.
  const inFlight = socket._httpMessage;
  if (inFlight && !inFlight.writableEnded && inFlight.req.complete) {
    inFlight.once('finish', () => afterAnswersInFlight(socket, then, deadline));
    return;
  }
  clearTimeout(deadline);
  // The response of the broken request itself: if it already started, the truth can no longer be told.
  if (inFlight && !inFlight.writableEnded && inFlight.headersSent) socket.destroy();
  else then();
}

/** Writes `error` on a response Node created outside the app (an `Expect` it refuses, no Host). */
function answerOnResponse(res: ServerResponse, error: AppError): void {
  const requestId = randomUUID();
  const body = JSON.stringify(toProblem(error, requestId));
  res.writeHead(error.status, {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    [REQUEST_ID_HEADER]: requestId,
    Connection: 'close',
  });
  res.end(body);
}

/**
 * Node's HTTP server answers some requests before any handler runs: parse errors (`clientError`: the
 * HPE_* codes, headers too large, the headers/request timeouts), an `Expect` other than 100-continue, a
 * CONNECT (destroyed without a word), an HTTP/1.1 request without Host (with `requireHostHeader`). Node's
 * own answers are bare status lines; these make each one a problem+json with a contract code and
 * `X-Request-Id`, sent with `Connection: close` (the connection's framing can no longer be trusted).
 */
export function answerParserErrors(server: Server, logger: Logger): void {
  const answered = new WeakSet<Duplex>();
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // The parser reports every later chunk of a broken stream again: one answer per connection.
    if (answered.has(socket)) return;
    answered.add(socket);
    if (error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const contractError = toContractError(error.code);
    logger.info(
      { parserCode: error.code, status: contractError.status, code: contractError.code },
      'request refused by the HTTP parser',
    );
    const deadline = setTimeout(() => socket.destroy(), IN_FLIGHT_WAIT_MS).unref();
    const head = isHeadRequest((error as { rawPacket?: unknown }).rawPacket);
    afterAnswersInFlight(socket, () => answerOnSocket(socket, contractError, head), deadline);
  });
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    answerOnResponse(res, errors.E_EXPECTATION_FAILED());
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    answerOnSocket(socket, errors.E_MALFORMED_REQUEST('CONNECT is not supported.'));
  });
}

/**
 * `listener`, behind the Host rule Node applies with `requireHostHeader` (RFC 9112 §3.2: an HTTP/1.1
 * request without Host is a 400), answered with the contract instead of Node's bare 400.
 */
export function requireHost(listener: RequestListener): RequestListener {
  return (req, res) => {
    if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
      answerOnResponse(res, errors.E_MALFORMED_REQUEST('An HTTP/1.1 request needs a Host header.'));
      return;
    }
    listener(req, res);
  };
}
