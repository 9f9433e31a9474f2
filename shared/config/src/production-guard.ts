import { ConfigError, type ConfigIssue } from './config-error';

/** The marker `.env.example` puts into every development secret. */
export const DEV_SECRET_MARKER = 'dev-only-';

/** Options of {@link assertNoDevSecrets}. */
export interface DevSecretGuardOptions {
  /** Whether the service runs in production (usually `NODE_ENV === 'production'`). Nothing is checked otherwise. */
  readonly production: boolean;
  /**
   * Known development values (e.g. every secret in `.env.example`). A config string that contains one of them
   * fails, so a dev password inside a URL (`redis://app:<dev>@host`) is caught too. Each must be ≥ 8
   * characters, so a short value cannot match innocent strings.
   * @default []
   */
  readonly devValues?: readonly string[];
  /**
   * Substring that marks a development value; any config string containing it fails.
   * @default 'dev-only-'
   */
  readonly marker?: string;
}

/**
 * Throws a {@link ConfigError} listing every config path whose string value is (or contains) a development
 * secret, when `production` is true. Call it in each service's `config.ts` right after `loadConfig`:
 *
 * @example
 * export const config = loadConfig(schema, process.env);
 * assertNoDevSecrets(config, { production: config.NODE_ENV === 'production', devValues: DEV_VALUES });
 */
export function assertNoDevSecrets(config: unknown, options: DevSecretGuardOptions): void {
  const devValues = options.devValues ?? [];
  const short = devValues.filter((v) => v.length < 8);
  if (short.length > 0)
    throw new TypeError('assertNoDevSecrets: every devValues entry must be at least 8 characters');
  if (!options.production) return;
  const marker = options.marker ?? DEV_SECRET_MARKER;

  const issues: ConfigIssue[] = [];
  visitStrings(config, [], (path, value) => {
    if ((marker !== '' && value.includes(marker)) || devValues.some((dev) => value.includes(dev))) {
      issues.push({
        key: path.length === 0 ? '(root)' : path.join('.'),
        problem: 'still has a development value',
      });
    }
  });
  if (issues.length > 0) {
    throw new ConfigError(issues, 'Refusing to start in production with development secrets');
  }
}

function visitStrings(value: unknown, path: string[], visit: (path: string[], value: string) => void): void {
  if (typeof value === 'string') {
    visit(path, value);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) visitStrings(item, [...path, key], visit);
  }
}
