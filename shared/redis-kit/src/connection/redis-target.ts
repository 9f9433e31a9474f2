import { InvalidOptionsError } from '../errors';

/** One node of a Redis Cluster seed list. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Where to connect: one server by URL, or a Redis Cluster by its seed nodes (URLs or addresses). */
export type RedisTarget =
  | { url: string; clusterNodes?: undefined }
  | { clusterNodes: readonly (string | RedisNodeAddress)[]; url?: undefined };

/** A target parsed into what ioredis needs; credentials come from the URL(s). */
export interface ResolvedTarget {
  mode: 'standalone' | 'cluster';
  nodes: RedisNodeAddress[];
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

function parseUrl(url: string, component: string): ResolvedTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionsError(component, ['url: not a valid URL']);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionsError(component, [
      `url: scheme must be redis: or rediss:, got ${parsed.protocol}`,
    ]);
  }
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) {
    throw new InvalidOptionsError(component, [`url: database "${dbText}" is not a non-negative integer`]);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    mode: 'standalone',
    nodes: [{ host: host || '127.0.0.1', port: parsed.port ? Number(parsed.port) : 6379 }],
    // An ACL user comes from the URL: redis://user:password@host:port/db. A bare password (redis://:pw@h)
    // authenticates as the `default` user.
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    db,
    tls: parsed.protocol === 'rediss:',
  };
}

/** Parses a target, rejecting anything ambiguous (both or neither of url/clusterNodes, a db on Cluster). */
export function resolveTarget(target: RedisTarget, component: string): ResolvedTarget {
  if (target.url !== undefined && target.clusterNodes !== undefined) {
    throw new InvalidOptionsError(component, ['give either url or clusterNodes, not both']);
  }
  if (target.url !== undefined) return parseUrl(target.url, component);
  const seeds = target.clusterNodes ?? [];
  if (seeds.length === 0)
    throw new InvalidOptionsError(component, ['url or a non-empty clusterNodes is required']);
  const parsed = seeds.map((seed) =>
    typeof seed === 'string'
      ? parseUrl(seed, component)
      : { mode: 'standalone' as const, nodes: [seed], db: 0, tls: false },
  );
  if (parsed.some((p) => p.db !== 0))
    throw new InvalidOptionsError(component, ['Redis Cluster has only database 0']);
  const withCredentials = parsed.find((p) => p.username !== undefined || p.password !== undefined);
  return {
    mode: 'cluster',
    nodes: parsed.flatMap((p) => p.nodes),
    ...(withCredentials?.username !== undefined ? { username: withCredentials.username } : {}),
    ...(withCredentials?.password !== undefined ? { password: withCredentials.password } : {}),
    db: 0,
    tls: parsed.some((p) => p.tls),
  };
}

/** A URL without its password, safe to log. */
export function redactTarget(target: RedisTarget): string {
  const redact = (seed: string | RedisNodeAddress) => {
    if (typeof seed !== 'string') return `${seed.host}:${seed.port}`;
    try {
      const url = new URL(seed);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return '(invalid url)';
    }
  };
  return target.url !== undefined ? redact(target.url) : (target.clusterNodes ?? []).map(redact).join(',');
}
