import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1 connection-specific fields, plus the legacy ones proxies still strip. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Copies `headers` without hop-by-hop fields (the fixed set and any named in `Connection`) and without
 * `drop`. Node joins repeated headers (or keeps arrays for set-cookie); both are copied as they are.
 * `listed`: the names in `Connection` when the caller already parsed them (the request framing check);
 * otherwise they are read from `headers.connection`.
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders,
  drop: ReadonlySet<string>,
  listed: ReadonlySet<string> | undefined = connectionListed(headers.connection),
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || drop.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function connectionListed(named: string | undefined): ReadonlySet<string> | undefined {
  return named
    ? new Set(
        named
          .toLowerCase()
          .split(',')
          .map((s) => s.trim()),
      )
    : undefined;
}
