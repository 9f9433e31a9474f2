// The one place k6 scripts read `__ENV`, in the init context: a bad value aborts the run before any load,
// with the variable's name in the message.
//
// Never name a variable K6_VUS / pass --vus: k6 then discards `options.scenarios` (the open model).

const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

const raw = (name: string): string | undefined => {
  const value = __ENV[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
};

/** A string variable, trimmed. */
export function envString(name: string, fallback: string): string {
  return raw(name) ?? fallback;
}

/** One of a fixed set of words. */
export function envChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const value = raw(name);
  if (value === undefined) return fallback;
  const match = choices.find((c) => c === value);
  if (match === undefined) throw new Error(`${name}=${value}: expected one of ${choices.join(', ')}`);
  return match;
}

/** Bounds for {@link envNumber}. */
export interface NumberRule {
  /** @default 0 */
  min?: number;
  /** @default false */
  integer?: boolean;
}

/** A number variable, validated against `rule`. */
export function envNumber(name: string, fallback: number, rule: NumberRule = {}): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const n = Number(value);
  const min = rule.min ?? 0;
  if (!Number.isFinite(n) || n < min || (rule.integer === true && !Number.isInteger(n))) {
    throw new Error(
      `${name}=${value}: expected ${rule.integer === true ? 'an integer' : 'a number'} >= ${min}`,
    );
  }
  return n;
}

/** A k6 duration such as `30s`, `1m30s` or `500ms`. */
export function envDuration(name: string, fallback: string): string {
  const value = raw(name) ?? fallback;
  if (!DURATION.test(value) || durationSeconds(value) <= 0) {
    throw new Error(`${name}=${value}: expected a k6 duration such as 30s, 2m or 1m30s`);
  }
  return value;
}

/** Seconds in a k6 duration string (validated by {@link envDuration}). */
export function durationSeconds(duration: string): number {
  // An exec loop rather than matchAll: k6's JavaScript runtime is not a full ES2020 engine.
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  for (let m = part.exec(duration); m !== null; m = part.exec(duration)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? 's'] ?? 1);
  }
  return total;
}

/** Settings shared by every scenario. */
export interface RunConfig {
  /** `BASE_URL`, the gateway. @default 'http://gateway:8080' (the compose service) */
  baseUrl: string;
  /** `DURATION` of every scenario. @default '30s' */
  duration: string;
  durationSeconds: number;
  /** `RESULTS_DIR`, where handleSummary writes `<scenario>.json`. @default '/results' (the compose mount) */
  resultsDir: string;
  /** `LATENCY_SCALE` multiplies every latency threshold (slow laptop: 2). @default 1 */
  latencyScale: number;
  /** `KEEP_USERS=1` skips deleting the run's users in teardown (to inspect them). @default false */
  keepUsers: boolean;
}

/** Reads {@link RunConfig}; call once per script, in the init context. */
export function loadRunConfig(): RunConfig {
  const duration = envDuration('DURATION', '30s');
  return {
    baseUrl: envString('BASE_URL', 'http://gateway:8080').replace(/\/+$/, ''),
    duration,
    durationSeconds: durationSeconds(duration),
    resultsDir: envString('RESULTS_DIR', '/results').replace(/\/+$/, ''),
    latencyScale: envNumber('LATENCY_SCALE', 1, { min: 0.1 }),
    keepUsers: envChoice('KEEP_USERS', ['0', '1'], '0') === '1',
  };
}

/** The open-model knobs of one `constant-arrival-rate` scenario. */
export interface ArrivalConfig {
  rate: number;
  timeUnit: string;
  duration: string;
  preAllocatedVUs: number;
  maxVUs: number;
}

/** Defaults for {@link arrivalFromEnv}. */
export interface ArrivalDefaults {
  /** Iterations per second. */
  rate: number;
  /** A pessimistic iteration time in seconds; sizes the VU pool so only real saturation drops iterations. */
  iterationSeconds: number;
}

/**
 * Reads `<prefix>RATE`, `<prefix>PRE_ALLOCATED_VUS` and `<prefix>MAX_VUS` (prefix `''` for a single
 * scenario, e.g. `CACHE_READS_` in the mixed run).
 */
export function arrivalFromEnv(prefix: string, defaults: ArrivalDefaults, duration: string): ArrivalConfig {
  const rate = envNumber(`${prefix}RATE`, defaults.rate, { min: 1, integer: true });
  const inFlight = Math.ceil(rate * defaults.iterationSeconds);
  const preAllocatedVUs = envNumber(`${prefix}PRE_ALLOCATED_VUS`, Math.max(2, 2 * inFlight), {
    min: 1,
    integer: true,
  });
  const maxVUs = envNumber(`${prefix}MAX_VUS`, Math.max(20, 10 * inFlight, preAllocatedVUs), {
    min: preAllocatedVUs,
    integer: true,
  });
  return { rate, timeUnit: '1s', duration, preAllocatedVUs, maxVUs };
}
