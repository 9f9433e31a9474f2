import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** One answered request, timed by the server. */
export interface ServerTiming {
  readonly method: string;
  readonly url: string;
  readonly status: number;
  /** From the moment Node handed the parsed request to the server until the response was fully written. */
  readonly ms: number;
  readonly requestId: string | undefined;
}

/**
 * Times every request a server answers, as the server sees it: from its 'request' event (before any
 * middleware) to the response's 'finish'. Deadline tests compare these with the service's budget; a
 * client in the same busy process would add its own event-loop delays to what it measures.
 */
export function trackResponseTimes(server: Server): { readonly timings: ServerTiming[]; stop(): void } {
  const timings: ServerTiming[] = [];
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    res.once('finish', () => {
      const id = res.getHeader('x-request-id');
      timings.push({
        method: req.method ?? '',
        url: req.url ?? '',
        status: res.statusCode,
        ms: performance.now() - started,
        requestId: typeof id === 'string' ? id : undefined,
      });
    });
  };
  server.prependListener('request', onRequest);
  return { timings, stop: () => server.off('request', onRequest) };
}
