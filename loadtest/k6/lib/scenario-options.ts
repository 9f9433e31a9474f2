// Option pieces every entry script shares. Thresholds select by the `scenario` tag k6 puts on every
// sample of a scenario (custom metrics included), so one mixed run judges each scenario on its own.

/** Thresholds as `options.thresholds` takes them. */
export type Thresholds = Record<string, string[]>;

/** k6's default lacks p(99); `count` shows how many samples a percentile rests on. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count'];

/** Registering and logging in dozens of users (argon2 on every login) takes longer than k6's 60 s default. */
export const SETUP_TIMEOUT = '5m';

/** Teardown deletes the run's users and may wait out a `Retry-After`. */
export const TEARDOWN_TIMEOUT = '5m';

/**
 * Failed requests under 1 %, checks above 99 %, and no dropped iterations: in an open model a dropped
 * iteration means the system (or k6's VU pool) could not keep up with the arrival rate, which k6 otherwise
 * reports only as a warning.
 */
export function baseThresholds(scenario: string): Thresholds {
  return {
    [`http_req_failed{scenario:${scenario}}`]: ['rate<0.01'],
    [`checks{scenario:${scenario}}`]: ['rate>0.99'],
    [`dropped_iterations{scenario:${scenario}}`]: ['count==0'],
  };
}

/**
 * `p(95)` and `p(99)` bounds on `http_req_duration` for the requests `selector` picks
 * (e.g. `scenario:browse,op:login`), multiplied by `scale` (`LATENCY_SCALE`).
 */
export function latencyThresholds(selector: string, p95Ms: number, p99Ms: number, scale: number): Thresholds {
  const ms = (n: number): number => Math.round(n * scale);
  return { [`http_req_duration{${selector}}`]: [`p(95)<${ms(p95Ms)}`, `p(99)<${ms(p99Ms)}`] };
}
