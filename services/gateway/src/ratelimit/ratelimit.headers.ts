import type { RateLimitDecision } from './rate-limiter';

/** Response headers for a decision; absent fields are not sent. */
export interface RateLimitHeaders {
  readonly 'RateLimit-Policy'?: string;
  readonly RateLimit?: string;
  readonly 'RateLimit-Mode'?: 'degraded-open' | 'degraded-local';
  readonly 'Retry-After'?: string;
}

function seconds(waitUs: number): number {
  return Math.ceil(waitUs / 1_000_000);
}

/**
 * IETF draft-10 fields for every evaluated non-shadow policy: `RateLimit-Policy: "name";q=<quota>;w=<s>`
 * and `RateLimit: "name";r=<remaining>;t=<s>`, both RFC 9651 lists with the same names in the same
 * order. Policy names are validated to `[a-z0-9-]`, so they need no escaping inside the sf-string. On a
 * refusal, `Retry-After` is the longest `t` of the violated policies, at least 1 (an unsatisfiable
 * request gets none: waiting never helps). A degraded decision says so in `RateLimit-Mode`.
 */
export function rateLimitHeaders(decision: RateLimitDecision): RateLimitHeaders {
  const policies: string[] = [];
  const states: string[] = [];
  let retryAfter = 0;
  let satisfiable = true;
  for (const { check, result } of decision.verdicts) {
    const { policy } = check;
    if (policy.spec.shadow) continue;
    policies.push(`"${policy.name}";q=${policy.quota};w=${policy.windowSeconds}`);
    const t = result.waitUs >= 0 ? `;t=${seconds(result.waitUs)}` : '';
    states.push(`"${policy.name}";r=${Math.max(0, result.remaining)}${t}`);
    if (result.status === 'denied') retryAfter = Math.max(retryAfter, seconds(result.waitUs), 1);
    if (result.status === 'unsatisfiable') satisfiable = false;
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
  if (decision.outcome === 'limited' && satisfiable && retryAfter > 0)
    headers['Retry-After'] = String(retryAfter);
  return headers;
}
