import { parse } from 'yaml';
import { envExample, readRepoFile } from './repo';

/** The parts of a compose service the checks read (after YAML merge keys and interpolation). */
export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  volumes?: string[];
  networks?: string[] | Record<string, unknown>;
  healthcheck?: { test?: string[] | string; interval?: string; timeout?: string; retries?: number };
  depends_on?: string[] | Record<string, { condition?: string }>;
  restart?: string;
  stop_grace_period?: string;
  init?: boolean;
  user?: string;
  profiles?: string[];
  deploy?: { resources?: { limits?: { memory?: string } } };
}

/** docker-compose.yml as `docker compose config` would see it. */
export interface ComposeModel {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

/** Variables referenced as `${NAME...}` that were unset and had no default (compose would warn or fail). */
export interface Interpolated<T> {
  value: T;
  unset: string[];
}

const VARIABLE = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose-file interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`. */
export function interpolate(text: string, env: Readonly<Record<string, string>>, unset: string[]): string {
  return text.replace(
    VARIABLE,
    (match, braced?: string, operator?: string, argument?: string, bare?: string) => {
      if (match === '$$') return '$';
      const name = (braced ?? bare) as string;
      const value = env[name];
      const empty = value === undefined || (operator?.startsWith(':') === true && value === '');
      if (operator?.endsWith('-')) return empty ? (argument ?? '') : (value as string);
      if (empty) unset.push(name);
      return value ?? '';
    },
  );
}

function interpolateDeep(value: unknown, env: Readonly<Record<string, string>>, unset: string[]): unknown {
  if (typeof value === 'string') return interpolate(value, env, unset);
  if (Array.isArray(value)) return value.map((item) => interpolateDeep(item, env, unset));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateDeep(item, env, unset)]),
    );
  }
  return value;
}

/** Parses compose YAML (merge keys resolved) and interpolates it with `env` (default: .env.example). */
export function loadCompose(
  text = readRepoFile('docker-compose.yml'),
  env: Readonly<Record<string, string>> = envExample(),
): Interpolated<ComposeModel> {
  const unset: string[] = [];
  const raw = parse(text, { merge: true }) as unknown;
  const value = interpolateDeep(raw, env, unset) as ComposeModel;
  return { value, unset: [...new Set(unset)] };
}

/** A service's environment as a plain map (compose allows a map or a `NAME=value` list). */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value == null ? '' : String(value)]),
  );
}

/** The healthcheck command as one string (exec form joined with spaces). */
export function healthcheckCommand(service: ComposeService): string {
  const test = service.healthcheck?.test;
  if (test === undefined) return '';
  return Array.isArray(test) ? test.join(' ') : test;
}

/** The `http://host:port/path` URLs a healthcheck command requests. */
export function healthcheckUrls(service: ComposeService): URL[] {
  return [...healthcheckCommand(service).matchAll(/https?:\/\/[^\s'"`),]+/g)].map((m) => new URL(m[0]));
}

/** A published port as `{hostIp, published, target}` (short `[ip:]published:target` or long syntax). */
export function publishedPorts(
  service: ComposeService,
): { hostIp: string; published: number; target: number }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') {
      return { hostIp: port.host_ip ?? '', published: Number(port.published), target: port.target };
    }
    const parts = port.split(':');
    const target = Number(parts.pop());
    const published = Number(parts.pop() ?? target);
    return { hostIp: parts.join(':'), published, target };
  });
}

/** Names of the networks a service joins. */
export function networksOf(service: ComposeService): string[] {
  const networks = service.networks ?? ['default'];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}
