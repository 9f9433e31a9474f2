import { z } from 'zod';

/**
 * A schema that trims the raw env string and parses it with `parse`; `undefined` from `parse` fails with
 * `problem`. Problems never quote the value: it may be a secret.
 */
function fromString<T>(problem: string, parse: (raw: string) => T | undefined) {
  return z.string().transform((raw, ctx): T => {
    const value = parse(raw.trim());
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', message: problem, input: raw });
      return z.NEVER;
    }
    return value;
  });
}

function integer(raw: string, min: number, max: number): number | undefined {
  if (!/^\d+$/.test(raw)) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;

/** One cluster seed as a URL: `host:port` gains `redis://`; a URL must be redis: or rediss: with a host. */
function clusterNodeUrl(entry: string): string | undefined {
  const hostPort = HOST_PORT.exec(entry);
  if (hostPort) return integer(hostPort[2] ?? '', 1, 65535) === undefined ? undefined : `redis://${entry}`;
  if (!URL.canParse(entry)) return undefined;
  const parsed = new URL(entry);
  return (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.host !== ''
    ? entry
    : undefined;
}

/** Options of {@link url}. */
export interface UrlOptions {
  /** Accepted schemes, with the trailing colon, e.g. `['redis:', 'rediss:']`. */
  readonly protocols: readonly string[];
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Schema helpers for environment variables (which are always strings). Each returns a zod schema, so
 * `.default()`, `.optional()` and friends work; a default is given in the output type
 * (`env.duration().default(5000)`).
 */
export const env = {
  /** TCP port 0–65535 (0 = ephemeral, useful in tests). */
  port: () => fromString('must be an integer port between 0 and 65535', (raw) => integer(raw, 0, 65535)),

  /** Integer ≥ 1 (at most `max`, default `Number.MAX_SAFE_INTEGER`). */
  positiveInt: (max = Number.MAX_SAFE_INTEGER) =>
    fromString(`must be an integer between 1 and ${max}`, (raw) => integer(raw, 1, max)),

  /** Integer within `[min, max]`. */
  int: (min: number, max: number) =>
    fromString(`must be an integer between ${min} and ${max}`, (raw) => integer(raw, min, max)),

  /** Duration in milliseconds: `250ms`, `5s`, `2m`, `1h`, or a plain number meaning milliseconds. */
  duration: () =>
    fromString('must be a duration such as 250ms, 5s, 2m, 1h or a number of milliseconds', (raw) => {
      const match = DURATION.exec(raw);
      if (!match) return undefined;
      const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
      return Number.isSafeInteger(ms) ? ms : undefined;
    }),

  /** `true`/`false`/`1`/`0` (case-insensitive). */
  bool: () =>
    fromString('must be true, false, 1 or 0', (raw) => {
      const v = raw.toLowerCase();
      if (v === 'true' || v === '1') return true;
      if (v === 'false' || v === '0') return false;
      return undefined;
    }),

  /**
   * Comma-separated list; entries are trimmed and empty entries dropped. Pass `item` to validate each
   * entry (e.g. `env.list(z.email())`).
   */
  list: <T = string>(item?: z.ZodType<T, string>) => {
    const split = z.string().transform((raw) =>
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );
    return item ? split.pipe(z.array(item)) : split;
  },

  /** One of `values`, e.g. `env.oneOf(['open', 'closed', 'local'])`. */
  oneOf: <const T extends readonly [string, ...string[]]>(values: T) =>
    z
      .string()
      .trim()
      .pipe(z.enum(values, { error: `must be one of ${values.join(', ')}` })),

  /** A URL with one of `protocols`. Returned as the original string (drivers parse it themselves). */
  url: ({ protocols }: UrlOptions) =>
    fromString(`must be a URL with scheme ${protocols.join(' or ')}`, (raw) => {
      if (!URL.canParse(raw)) return undefined;
      const parsed = new URL(raw);
      return protocols.includes(parsed.protocol) && parsed.host !== '' ? raw : undefined;
    }),

  /** `redis://` or `rediss://` URL. */
  redisUrl: () => env.url({ protocols: ['redis:', 'rediss:'] }),

  /**
   * Redis Cluster seed nodes, comma-separated: `host:port` (IPv6 as `[addr]:port`) or `redis://` /
   * `rediss://` URLs (which carry the credentials). Output: every entry as a URL (`host:port` becomes
   * `redis://host:port`), at least one.
   */
  redisClusterNodes: () =>
    fromString(
      'must be a comma-separated list of host:port or redis:// URLs (at least one)',
      (raw): string[] | undefined => {
        const entries = raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
        const urls = entries.map(clusterNodeUrl);
        return urls.length > 0 && urls.every((u) => u !== undefined) ? (urls as string[]) : undefined;
      },
    ),

  /** `postgres://` or `postgresql://` URL. */
  postgresUrl: () => env.url({ protocols: ['postgres:', 'postgresql:'] }),

  /** `http://` or `https://` URL. */
  httpUrl: () => env.url({ protocols: ['http:', 'https:'] }),

  /**
   * A secret of at least `minLength` characters (default 32). Its value never appears in errors; pair with
   * {@link assertNoDevSecrets} so development values cannot reach production.
   */
  secret: (minLength = 32) =>
    fromString(`must be at least ${minLength} characters`, (raw) =>
      raw.length >= minLength ? raw : undefined,
    ),
};
