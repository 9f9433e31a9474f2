// ioredis errors that mean "Redis could not answer now" (down, unreachable, timed out, failing over), as
// opposed to a bug such as a script error. Matched by name and message because ioredis exposes no codes.
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError']);
const UNAVAILABLE_MESSAGES =
  /Connection is closed|Command timed out|Stream isn't writeable|isn't ready|enableOfflineQueue|Cluster is ended|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|NOAUTH|WRONGPASS)\b/;

/** True when `error` says the Redis state store is unavailable. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return UNAVAILABLE_NAMES.has(error.name) || UNAVAILABLE_MESSAGES.test(error.message);
}
