/** The development identity key: public, so services refuse it unless ALLOW_DEV_SECRETS=true. */
export const DEV_IDENTITY_SIGNING_KEY = 'dev-only-identity-signing-key-do-not-use-in-production';

/**
 * What the runner supplies when the environment does not set it: a value the user set wins. The runner
 * is development by definition, so it runs the public development key of .env.example on purpose.
 */
export const RUNNER_DEFAULTS: Readonly<Record<string, string>> = {
  NODE_ENV: 'development',
  ALLOW_DEV_SECRETS: 'true',
  LOG_LEVEL: 'info',
  IDENTITY_SIGNING_KEY: DEV_IDENTITY_SIGNING_KEY,
};

/**
 * The settings the runner owns, with what to do instead: it sets them per service (ports it was told,
 * URLs of the servers it started), so a value from the environment cannot apply and is replaced, with a
 * notice on stderr. The README's table lists them.
 */
export const RUNNER_OWNED: Readonly<Record<string, string>> = {
  HOST: 'every service listens on 127.0.0.1 only (compose publishes the stack to other hosts)',
  PORT: 'move a service with REDWIRE_GATEWAY_PORT, REDWIRE_USER_PORT or REDWIRE_AUTH_PORT',
  ADMIN_PORT: 'move the gateway admin port with REDWIRE_GATEWAY_ADMIN_PORT',
  METRICS_PORT: 'REDWIRE_WORKER_METRICS_PORT moves the worker metrics port and wins over METRICS_PORT',
  REDIS_URL: 'the runner starts its own state Redis; move it with REDWIRE_REDIS_PORT',
  REDIS_CLUSTER_NODES:
    'the runner starts its own state Redis; REDWIRE_REDIS_TOPOLOGY=cluster makes it a Redis Cluster',
  CACHE_REDIS_URL: 'the runner starts its own cache Redis; move it with REDWIRE_CACHE_REDIS_PORT',
  DATABASE_URL: 'the runner starts its own PostgreSQL; move it with REDWIRE_POSTGRES_PORT',
  USER_SERVICE_URL: 'the gateway and auth call the user service the runner started',
  AUTH_SERVICE_URL: 'the gateway calls the auth service the runner started',
  OTEL_SERVICE_NAME: 'each process is named redwire-<service> in traces',
  RATE_LIMIT_INSTANCES: 'with several gateways, each gets their number',
};

/**
 * A service's environment: the runner's, minus the settings the runner sets, plus its defaults and those.
 * `process` (its supervisor name: `gateway`, `gateway-2`, …) becomes the OTel resource's
 * `service.instance.id`: instances of one service share their service name in traces (the OTel convention)
 * and are told apart by it. Put first in OTEL_RESOURCE_ATTRIBUTES, so one the environment sets wins.
 */
export function serviceEnvironment(
  passed: Readonly<Record<string, string>>,
  runnerSet: Readonly<Record<string, string>>,
  process: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(passed)) if (!(key in RUNNER_OWNED)) env[key] = value;
  for (const [key, value] of Object.entries(RUNNER_DEFAULTS)) if (!env[key]) env[key] = value;
  const resource = env.OTEL_RESOURCE_ATTRIBUTES?.trim();
  env.OTEL_RESOURCE_ATTRIBUTES = [`service.instance.id=${process}`, ...(resource ? [resource] : [])].join(
    ',',
  );
  return Object.assign(env, runnerSet);
}

/**
 * One stderr line per setting of the environment that does not reach the services as given (the runner
 * owns it: it sets another value, or none), and one naming the runner defaults the environment replaced.
 * Values are not printed: a URL may carry a password.
 */
export function settingNotices(
  passed: Readonly<Record<string, string>>,
  runnerSets: readonly Readonly<Record<string, string>>[],
): string[] {
  const notices: string[] = [];
  for (const [key, hint] of Object.entries(RUNNER_OWNED)) {
    const given = passed[key];
    if (given === undefined || given === '') continue;
    const values = runnerSets.flatMap((set) => (set[key] === undefined ? [] : [set[key]]));
    if (values.length > 0 && values.every((value) => value === given)) continue;
    notices.push(`${key} from the environment is not passed on: ${hint}`);
  }
  const replaced = Object.keys(RUNNER_DEFAULTS).filter((key) => passed[key]);
  if (replaced.length > 0) {
    notices.push(`from the environment, over the runner's defaults: ${replaced.join(', ')}`);
  }
  return notices;
}
