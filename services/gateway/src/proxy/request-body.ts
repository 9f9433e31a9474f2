import type { IncomingMessage } from 'node:http';
import { type AppError, errors } from '@redwire/http-kit';

/** Options of {@link readRequestBody}. */
export interface ReadBodyOptions {
  /** Bytes past this → 413 `E_PAYLOAD_TOO_LARGE` (a chunked body is only known as it arrives). */
  readonly maxBytes: number;
  /** The whole body must arrive within this many ms of the call → 408 `E_REQUEST_TIMEOUT`. */
  readonly deadlineMs: number;
}

const CLOSE = { headers: { Connection: 'close' } };

/**
 * Reads a request body whole, so the gateway forwards it with a Content-Length it computed itself (never
 * the client's framing) and a slow upload holds no upstream socket: a service sees the request only once
 * it has fully arrived. Every refusal carries `Connection: close`, since the rest of the body is unread.
 */
export function readRequestBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: AppError | undefined) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (error) {
        // Stop reading: the connection closes after the answer.
        req.pause();
        reject(error);
      } else {
        resolve(Buffer.concat(chunks, size));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) finish(errors.E_PAYLOAD_TOO_LARGE(undefined, CLOSE));
      else chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    // The client went away mid-body; nobody reads the answer, but the request must not go upstream.
    const onClose = () => finish(errors.E_MALFORMED_REQUEST('The request body ended early.', CLOSE));
    const timer = setTimeout(
      () => finish(errors.E_REQUEST_TIMEOUT('The request body did not arrive in time.', CLOSE)),
      options.deadlineMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}
