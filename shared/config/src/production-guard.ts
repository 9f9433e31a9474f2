import { ConfigError, type ConfigIssue } from './config-error';
import { env } from './env-schemas';

/** The marker `.env.example` puts into every development secret. */
export const DEV_SECRET_MARKER = 'dev-only-';

/** The variable an operator sets to run the public development values outside `npm start`. */
export const ALLOW_DEV_SECRETS = 'ALLOW_DEV_SECRETS';

/** Options of {@link assertNoDevSecrets}. */
export interface DevSecretGuardOptions {
  /**
   * Whether the service runs in production (usually `NODE_ENV === 'production'`): development values are
   * then refused whatever `allowDevSecrets` says.
   */
  readonly production: boolean;
  /**
   * The operator's explicit opt-in (`ALLOW_DEV_SECRETS=true`) to run development values outside production:
   * `npm start` sets it, and `.env.example` sets it next to its public values. Anything else refuses them,
   * so a deployment never runs a published key because `NODE_ENV` was left at its default.
   * @default false
   */
  readonly allowDevSecrets?: boolean;
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
 * secret, unless the operator allowed them outside production. Call it in each service's `config.ts` right
 * after `loadConfig`:
 *
 * @example
 * const config = loadConfig(schema, process.env);
 * assertNoDevSecrets(config, {
 *   production: config.NODE_ENV === 'production',
 *   allowDevSecrets: config.ALLOW_DEV_SECRETS,
 * });
 */
export function assertNoDevSecrets(config: unknown, options: DevSecretGuardOptions): void {
  const devValues = options.devValues ?? [];
  const short = devValues.filter((v) => v.length < 8);
  if (short.length > 0)
    throw new TypeError('assertNoDevSecrets: every devValues entry must be at least 8 characters');
  if (!options.production && options.allowDevSecrets === true) return;
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
    throw new ConfigError(
      issues,
      options.production
        ? 'Refusing to start in production with development secrets'
        : `Refusing to start with development secrets (they are public); replace them, or set ${ALLOW_DEV_SECRETS}=true to run them on purpose outside production`,
    );
  }
}

/**
 * `NODE_ENV` and `ALLOW_DEV_SECRETS` as every entry point declares them: spread into the config schema and
 * pass the loaded config to {@link refuseDevSecrets}.
 */
export const runModeEnv = {
  NODE_ENV: env.oneOf(['development', 'test', 'production']).default('development'),
  /** The operator runs the public development values on purpose (never honoured in production). */
  [ALLOW_DEV_SECRETS]: env.bool().default(false),
};

/** {@link assertNoDevSecrets} for a config loaded with {@link runModeEnv}; returns the config. */
export function refuseDevSecrets<T extends { NODE_ENV: string; ALLOW_DEV_SECRETS: boolean }>(config: T): T {
  assertNoDevSecrets(config, {
    production: config.NODE_ENV === 'production',
    allowDevSecrets: config.ALLOW_DEV_SECRETS,
  });
  return config;
}

function visitStrings(value: unknown, path: string[], visit: (path: string[], value: string) => void): void {
  if (typeof value === 'string') {
    visit(path, value);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) visitStrings(item, [...path, key], visit);
  }
}
