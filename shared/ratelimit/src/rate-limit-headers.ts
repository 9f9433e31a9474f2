import type { RateLimitDecision } from './rate-limit-decision';

/** Response headers for a decision; absent fields are not sent. */
export interface RateLimitHeaders {
  readonly 'RateLimit-Policy'?: string;
  readonly RateLimit?: string;
  readonly 'RateLimit-Mode'?: 'degraded-open' | 'degraded-local';
  readonly 'Retry-After'?: string;
}

/**
 * IETF draft-10 fields (draft-ietf-httpapi-ratelimit-headers-10) for every evaluated non-shadow policy:
 * `RateLimit-Policy: "name";q=<limit>;w=<period>` and `RateLimit: "name";r=<remaining>;t=<s>`, both RFC 9651
 * lists with the same names in the same order (`t`: whole seconds until more quota, absent when waiting
 * never helps). Policy names are `[a-z0-9-]`, so they need no escaping inside the sf-string. A refusal
 * that waiting helps gets `Retry-After`: the longest `t` of the violated policies, at least 1 (never
 * earlier than `t`). A degraded decision says so in `RateLimit-Mode`. An `unavailable` decision gets no
 * `Retry-After` here: how soon to come back is the caller's call (the middleware sends 1).
 */
export function rateLimitHeaders(decision: RateLimitDecision): RateLimitHeaders {
  const policies: string[] = [];
  const states: string[] = [];
  for (const { policy, remaining, resetMs } of decision.policies) {
    if (policy.shadow) continue;
    policies.push(`"${policy.name}";q=${policy.limit};w=${policy.period}`);
    const t = Number.isFinite(resetMs) ? `;t=${Math.ceil(resetMs / 1000)}` : '';
    states.push(`"${policy.name}";r=${Math.max(0, remaining)}${t}`);
  }
  const headers: {
    -readonly [K in keyof RateLimitHeaders]: RateLimitHeaders[K];
  } = {};
  if (policies.length > 0) {
    headers['RateLimit-Policy'] = policies.join(', ');
    headers.RateLimit = states.join(', ');
  }
  if (decision.source === 'degraded-open' || decision.source === 'degraded-local') {
    headers['RateLimit-Mode'] = decision.source;
  }
  if (decision.retryAfterMs !== undefined) {
    headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  }
  return headers;
}
