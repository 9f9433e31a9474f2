import http from 'node:http';
import { type BuiltTarget, required, type TargetConfig } from './target.types';

/**
 * The floor of any proxy here: plain node:http, a keep-alive agent, headers passed through untouched,
 * bodies piped, no routing, limits, identity, hop-by-hop hygiene or error mapping (docs/measurements.md measured
 * 0.65× direct for one). Not something to deploy; it shows how much of the gateway's cost is the extra hop.
 */
export function bareProxyTarget(config: TargetConfig): BuiltTarget {
  const upstream = new URL(required(config.upstream, 'upstream'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const app: http.RequestListener = (req, res) => {
    const upstreamReq = http.request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstreamReq);
  };
  return { app, close: async () => agent.destroy() };
}
