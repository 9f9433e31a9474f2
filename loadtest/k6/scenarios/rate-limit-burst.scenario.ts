// Rate-limit burst: one signed-in user reads its own profile faster than its tier allows. A 429 is the
// expected answer here, so it does not count as a failed request; what is judged is its contract
// (problem+json, Retry-After, RateLimit fields) and, after the run, whether the number admitted matches the
// quota the gateway advertises in RateLimit-Policy.
import { check, fail } from 'k6';
import http from 'k6/http';
import { Counter, Rate } from 'k6/metrics';
import { type ApiClient, type ApiResponse, describe, header, problemOf } from '../lib/api-client.ts';
import { QUOTA_EXCEEDED_TYPE } from '../lib/problem-json.ts';
import { judgeQuota, type QuotaVerdict } from '../lib/quota-verdict.ts';
import {
  parseRateLimitPolicies,
  parseRateLimitStates,
  parseRetryAfter,
  type RateLimitPolicy,
} from '../lib/rate-limit-headers.ts';
import { baseThresholds, latencyThresholds, type Thresholds } from '../lib/scenario-options.ts';
import type { SummaryData } from '../lib/summary-report.ts';
import { type RunIdentity, registerUsers, type TestUser } from '../lib/test-users.ts';

/** The scenario's name in `options.scenarios`, hence its `scenario` tag. */
export const RATE_LIMIT_BURST = 'rate_limit_burst';

/** 2xx and 429 are both expected answers to a burst. */
export const BURST_EXPECTED = http.expectedStatuses({ min: 200, max: 299 }, 429);

/** Requests the gateway let through. */
const admitted = new Counter('ratelimit_admitted');
/** Requests answered 429. */
const limited = new Counter('ratelimit_limited');
/** Share of burst requests answered 429. */
const limitedRatio = new Rate('ratelimit_limited_ratio');

/** Setup data: the burst identity and the policies its requests are judged against. */
export interface BurstData {
  user: TestUser;
  policies: RateLimitPolicy[];
  /** `RateLimit` remaining per policy after the probe. */
  remainingAtStart: Record<string, number>;
}

const selfRead = (api: ApiClient, user: TestUser, op: string): ApiResponse =>
  api.get(`/users/${user.id}`, {
    token: user.token,
    tags: { name: 'GET /users/{id}', op },
    responseCallback: BURST_EXPECTED,
  });

/** Registers the burst user and reads the policies that apply to it with one probe request. */
export function setupBurst(api: ApiClient, run: RunIdentity): BurstData {
  const [user] = registerUsers(api, run, 'burst', 1);
  if (user === undefined) fail('setup burst: no user registered');
  const probe = selfRead(api, user, 'setup');
  const policies = parseRateLimitPolicies(header(probe, 'RateLimit-Policy'));
  if (probe.status !== 200 || policies === undefined || policies.length === 0) {
    fail(`setup burst: expected 200 with RateLimit-Policy, got ${describe(probe)}; is the gateway limiting?`);
  }
  const remainingAtStart: Record<string, number> = {};
  for (const state of parseRateLimitStates(header(probe, 'RateLimit')) ?? []) {
    remainingAtStart[state.name] = state.remaining;
  }
  return { user, policies, remainingAtStart };
}

const samePolicies = (a: RateLimitPolicy[] | undefined, b: RateLimitPolicy[]): boolean =>
  a !== undefined &&
  a.length === b.length &&
  b.every((p) =>
    a.some((q) => q.name === p.name && q.quota === p.quota && q.windowSeconds === p.windowSeconds),
  );

/** One burst request, classified as admitted or limited, each with its header contract checked. */
export function burstIteration(api: ApiClient, data: BurstData): void {
  const res = selfRead(api, data.user, 'burst');
  const quotaOf = new Map(data.policies.map((p) => [p.name, p.quota]));
  const states = parseRateLimitStates(header(res, 'RateLimit'));

  if (res.status === 429) {
    limited.add(1);
    limitedRatio.add(true);
    const problem = problemOf(res);
    const retryAfter = parseRetryAfter(header(res, 'Retry-After'));
    const violated = problem?.['violated-policies'] ?? [];
    check(res, {
      '429: problem+json E_RATE_LIMITED, quota-exceeded': () =>
        problem?.code === 'E_RATE_LIMITED' && problem.type === QUOTA_EXCEEDED_TYPE && problem.status === 429,
      '429: violated-policies names advertised policies': () =>
        violated.length > 0 && violated.every((name) => quotaOf.has(name)),
      '429: Retry-After ≥ 1 s': () => retryAfter !== undefined && retryAfter >= 1,
      '429: Retry-After not earlier than the violated policy resets': () =>
        retryAfter !== undefined &&
        (states ?? [])
          .filter((s) => violated.includes(s.name))
          .every((s) => s.resetSeconds === undefined || retryAfter >= s.resetSeconds),
    });
    return;
  }

  if (res.status >= 200 && res.status < 300) {
    admitted.add(1);
    limitedRatio.add(false);
    check(res, {
      'admitted: RateLimit-Policy as advertised in setup': () =>
        samePolicies(parseRateLimitPolicies(header(res, 'RateLimit-Policy')), data.policies),
      // Not `r < q`: a GCRA burst above `q` legitimately reports more remaining than the quota.
      'admitted: RateLimit reports the advertised policies': () =>
        states !== undefined && states.length > 0 && states.every((s) => quotaOf.has(s.name)),
    });
    return;
  }

  check(res, { 'burst: answered 2xx or 429': () => false });
}

/**
 * The burst must actually hit the limit (otherwise it proved nothing), and a 429 must stay cheap: the
 * deny path does no proxying.
 */
export function burstThresholds(latencyScale: number): Thresholds {
  return {
    ...baseThresholds(RATE_LIMIT_BURST),
    ...latencyThresholds(`scenario:${RATE_LIMIT_BURST}`, 50, 150, latencyScale),
    [`ratelimit_limited_ratio{scenario:${RATE_LIMIT_BURST}}`]: ['rate>0'],
  };
}

const isBurstData = (v: unknown): v is BurstData =>
  typeof v === 'object' && v !== null && Array.isArray((v as Partial<BurstData>).policies);

/**
 * Compares the admitted count with the advertised quota after the run. k6 thresholds are fixed before
 * setup learns the quota, so this verdict lives in the results JSON (`verdicts`, `ok`) and the text summary.
 */
export function burstVerdict(summary: SummaryData, setupData: unknown, burstSeconds: number): QuotaVerdict {
  const count = (metric: string): number => summary.metrics[metric]?.values.count ?? 0;
  if (!isBurstData(setupData)) {
    return { verdict: 'no-policy', admitted: 0, limited: 0, explanation: 'setup did not complete' };
  }
  return judgeQuota({
    policies: setupData.policies,
    remainingAtStart: setupData.remainingAtStart,
    burstSeconds,
    admitted: count('ratelimit_admitted'),
    limited: count('ratelimit_limited'),
  });
}

/** Every user setup created, for teardown. */
export function burstUsers(data: BurstData): TestUser[] {
  return [data.user];
}
