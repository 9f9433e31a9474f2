/** What a simulated client did. */
export type RequestKind =
  /** A signed-in GET /users/:id (any user's profile). */
  | 'read'
  /** A signed-in PATCH /users/:id of the caller's own profile. */
  | 'write'
  /** A signed-in GET /auth/me. */
  | 'me'
  /** An anonymous GET /users/:id. */
  | 'anon-read'
  /** Anonymous GETs from one address, faster than its limit (`anon-ip`). */
  | 'probe-anon'
  /** Signed-in GETs of one user, faster than its limit (`user-free`). */
  | 'probe-user'
  /** Failing logins from one address, faster than its limit (`login-ip`). */
  | 'probe-login'
  /** A user's extra login (a new session), then its logout: session churn. */
  | 'login'
  | 'logout';

/** One request as the client saw it. Times are ms since the run's start (monotonic clock). */
export interface RequestRecord {
  readonly kind: RequestKind;
  /** The acting user's index (signed-in kinds), or the anonymous client's index. */
  readonly actor: number;
  /** Whose profile was read or written (user index), when a profile was. */
  readonly target?: number;
  /** Index of the gateway that answered (after a fail-over, the other one). */
  readonly gateway: number;
  readonly start: number;
  readonly end: number;
  /** 0 = no answer. */
  readonly status: number;
  /** Why there was no answer (ECONNREFUSED, ECONNRESET, timeout). */
  readonly error?: string;
  /** problem+json `code` of an error answer. */
  readonly code?: string;
  /** problem+json `detail` of a 5xx answer (which part refused: the session check, the limiter, a service). */
  readonly detail?: string;
  /** The profile version in a 200 answer to a read or write. */
  readonly version?: number;
  /** The answer carried `Redwire-Degraded: sessions`. */
  readonly degraded?: boolean;
  /** `RateLimit-Mode` (degraded-open / degraded-local): the limiter decided without Redis. */
  readonly limiterMode?: string;
  /** `Retry-After` was set (on a 429 or 503). */
  readonly retryAfter?: boolean;
  /** The first gateway refused the connection and the request went to the other one. */
  readonly failedOver?: boolean;
}

/** The first words of a problem detail: enough to tell the session check, the limiter and a service apart. */
function gist(detail: string | undefined): string {
  if (!detail) return '';
  const words = detail.split(/\s+/);
  return ` (${words.slice(0, 5).join(' ')}${words.length > 5 ? '…' : ''})`;
}

/** `503 E_UNAVAILABLE (The session could not be…)`, `ECONNREFUSED`: what failed requests got, most frequent first. */
export function failureKinds(failures: readonly RequestRecord[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const r of failures) {
    const kind =
      r.status === 0 ? (r.error ?? 'no answer') : `${r.status} ${r.code ?? ''}${gist(r.detail)}`.trim();
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort((a, b) => b[1] - a[1]));
}
