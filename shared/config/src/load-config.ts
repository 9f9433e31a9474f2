import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './config-error';
import { type DeepReadonly, deepFreeze } from './deep-freeze';

/** The environment as a service's `config.ts` passes it in (usually `process.env`). */
export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates `env` against `schema` and returns the result deep-frozen.
 *
 * Empty strings count as unset (so `PORT=` in a `.env` file falls back to the default instead of failing
 * as "not a number"). On failure it throws one {@link ConfigError} listing every bad key.
 *
 * @example
 * const schema = z.object({ PORT: env.port().default(8081), REDIS_URL: env.redisUrl() });
 * export const config = loadConfig(schema, process.env);
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env): DeepReadonly<z.output<S>> {
  const input: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(toIssues(result.error.issues, input));
  return deepFreeze(result.data);
}

function toIssues(issues: readonly z.core.$ZodIssue[], input: Record<string, string>): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ key: joinPath([...issue.path, key]), problem: 'unknown key' });
      continue;
    }
    const key = joinPath(issue.path);
    const missing = issue.path.length === 1 && input[String(issue.path[0])] === undefined;
    out.push({ key, problem: missing && issue.code === 'invalid_type' ? 'is required' : issue.message });
  }
  return out;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}
