// Pure (no k6 imports) so the vitest suite can exercise it under Node.
import type { RateLimitPolicy } from './rate-limit-headers.ts';

/**
 * - `pass`: admitted requests lie between what the binding policy guarantees and what it allows;
 * - `over-admitted`: more were admitted than the policy allows (a limiter race or a wrong header);
 * - `under-admitted`: fewer than the policy guarantees (denials counted against the quota, or another
 *   policy interfering);
 * - `not-exceeded`: no request was limited, so the burst proved nothing (raise RATE);
 * - `no-policy`: no advertised policy has a window to judge against.
 */
export type QuotaVerdictKind = 'pass' | 'over-admitted' | 'under-admitted' | 'not-exceeded' | 'no-policy';

/** What a burst is judged on. */
export interface QuotaVerdictInput {
  /** Policies advertised on the burst identity's requests (read in setup). */
  policies: RateLimitPolicy[];
  /** `RateLimit` remaining per policy after the setup probe; a missing policy counts as 0. */
  remainingAtStart: Record<string, number>;
  /** How long the burst offered load, in seconds. */
  burstSeconds: number;
  admitted: number;
  limited: number;
  /**
   * Extra seconds the upper bound allows for requests still in flight when the scenario ends and for the
   * gap between the setup probe and the first iteration.
   * @default 1
   */
  slackSeconds?: number;
}

/** The judgement, written to the results JSON and the text summary. */
export interface QuotaVerdict {
  verdict: QuotaVerdictKind;
  admitted: number;
  limited: number;
  /** The binding policy: the one allowing the fewest requests over the burst. */
  policy?: RateLimitPolicy;
  allowedAtMost?: number;
  expectedAtLeast?: number;
  explanation: string;
}

/**
 * Compares admitted requests with the advertised quota. Every admitted request consumed every policy, so
 * the count is bounded by the strictest one. In `D` seconds a policy admits at most its capacity plus
 * `q × ⌈D / w⌉` (fixed or sliding window, token bucket, GCRA), where the capacity is `q`, or more for a
 * GCRA burst above `q`, which draft-10 headers do not advertise but the probe's `r` reveals. A saturating
 * burst must get at least what was left at the start plus `q` per full window, minus one request lost to
 * arrival granularity; that holds when a denied request spends nothing (redwire's all-or-nothing decision).
 */
export function judgeQuota(input: QuotaVerdictInput): QuotaVerdict {
  const { admitted, limited, burstSeconds } = input;
  const slack = input.slackSeconds ?? 1;
  let binding: { policy: RateLimitPolicy; windowSeconds: number; atMost: number } | undefined;
  for (const policy of input.policies) {
    const w = policy.windowSeconds;
    if (w === undefined) continue;
    const capacity = Math.max(policy.quota, (input.remainingAtStart[policy.name] ?? 0) + 1);
    const atMost = capacity + policy.quota * Math.ceil((burstSeconds + slack) / w);
    if (binding === undefined || atMost < binding.atMost) binding = { policy, windowSeconds: w, atMost };
  }
  if (binding === undefined) {
    return { verdict: 'no-policy', admitted, limited, explanation: 'no advertised policy with a window (w)' };
  }
  const { policy, windowSeconds, atMost } = binding;
  const guaranteed =
    (input.remainingAtStart[policy.name] ?? 0) + policy.quota * Math.floor(burstSeconds / windowSeconds) - 1;
  const atLeast = Math.max(0, Math.min(admitted + limited, guaranteed));
  const base = { admitted, limited, policy, allowedAtMost: atMost, expectedAtLeast: atLeast };
  const where = `policy "${policy.name}" q=${policy.quota} w=${windowSeconds}s over ${burstSeconds}s`;
  if (limited === 0) {
    return { ...base, verdict: 'not-exceeded', explanation: `no request was limited (${where}); raise RATE` };
  }
  if (admitted > atMost) {
    return {
      ...base,
      verdict: 'over-admitted',
      explanation: `admitted ${admitted} > at most ${atMost} (${where})`,
    };
  }
  if (admitted < atLeast) {
    return {
      ...base,
      verdict: 'under-admitted',
      explanation: `admitted ${admitted} < at least ${atLeast} (${where})`,
    };
  }
  return {
    ...base,
    verdict: 'pass',
    explanation: `${atLeast} ≤ admitted ${admitted} ≤ ${atMost} (${where}), limited ${limited}`,
  };
}
