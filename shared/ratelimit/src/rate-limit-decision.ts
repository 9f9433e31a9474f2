import type { CheckResult, CheckStatus } from './algorithms';
import type { Policy, PolicyCheck } from './policy';

/**
 * Who decided: Redis; the in-process deny cache (the key was refused moments ago and its wait has not
 * ended, so Redis was not asked); or, because Redis failed or missed the deadline, the failure mode of the
 * policies (`onRedisError`): `degraded-open` (allowed unchecked), `degraded-local` (the in-process limiter),
 * `degraded-closed` (refused).
 */
export type DecisionSource = 'redis' | 'deny-cache' | 'degraded-open' | 'degraded-local' | 'degraded-closed';

/** One evaluated policy of a decision. */
export interface PolicyResult {
  /** The policy, with its defaults applied. */
  readonly policy: Policy;
  /** The key it was evaluated for, as the caller gave it. */
  readonly key: string;
  /** `unsatisfiable`: the cost is above the policy's burst/limit, so waiting never helps. */
  readonly status: CheckStatus;
  /** Whole units left: after this call when it was admitted, before it otherwise (nothing was spent). */
  readonly remaining: number;
  /**
   * Milliseconds until more quota is available: allowed, until one more unit (0 when the quota is full);
   * denied, until this call's cost fits; unsatisfiable, `Infinity`.
   */
  readonly resetMs: number;
}

/** The answer to one `limit()` call. */
export interface RateLimitDecision {
  /** The caller may go ahead: every non-shadow policy admitted it and its quota was spent (or Redis failed and no policy refuses then). */
  readonly allowed: boolean;
  /** `limited`: a policy refused (answer 429). `unavailable`: Redis failed and a `closed` policy applies (answer 503). */
  readonly outcome: 'allowed' | 'limited' | 'unavailable';
  readonly source: DecisionSource;
  /**
   * The evaluated policies in declaration order: every one asked about for a Redis decision, those with a
   * remembered deny for a deny-cache one, the `local` ones for a degraded-local one, none otherwise.
   */
  readonly policies: readonly PolicyResult[];
  /** Names of the non-shadow policies that refused (for `unavailable`: the `closed` ones). */
  readonly violated: readonly string[];
  /**
   * Refused, and waiting helps: milliseconds until every violated policy has room for this call. Absent
   * when allowed, unavailable, or when a violated policy is unsatisfiable.
   */
  readonly retryAfterMs?: number;
  /** The Redis time (µs) a Redis decision was taken at; for diagnostics and tests. */
  readonly redisTimeUs?: number;
}

/** A check and what was decided for it. Internal. */
export interface Verdict {
  readonly check: PolicyCheck;
  readonly result: CheckResult;
}

function toPolicyResult({ check, result }: Verdict): PolicyResult {
  return {
    policy: check.policy.spec,
    key: check.key,
    status: result.status,
    remaining: result.remaining,
    resetMs: result.waitUs < 0 ? Number.POSITIVE_INFINITY : Math.ceil(result.waitUs / 1000),
  };
}

/** Builds the public decision from the verdicts. Internal. */
export function decision(
  outcome: RateLimitDecision['outcome'],
  source: DecisionSource,
  verdicts: readonly Verdict[],
  redisTimeUs?: number,
): RateLimitDecision {
  const policies = verdicts.map(toPolicyResult);
  const violated: string[] = [];
  let retryAfterMs: number | undefined = outcome === 'limited' ? 0 : undefined;
  for (const p of policies) {
    if (p.policy.shadow || p.status === 'allowed') continue;
    violated.push(p.policy.name);
    if (retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs, p.resetMs);
  }
  const result: {
    -readonly [K in keyof RateLimitDecision]: RateLimitDecision[K];
  } = { allowed: outcome === 'allowed', outcome, source, policies, violated };
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs))
    result.retryAfterMs = Math.max(1, retryAfterMs);
  if (redisTimeUs !== undefined) result.redisTimeUs = redisTimeUs;
  return result;
}
