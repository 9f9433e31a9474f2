import { DeadlineExceededError } from '@redwire/deadline';
import { CircuitOpenError } from '../errors';

// ioredis errors that mean "Redis gave no answer" (down, unreachable, timed out) or "cannot serve now"
// (loading, failing over), matched by name and message because ioredis exposes no codes.
const NO_ANSWER_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError']);
const NO_ANSWER_MESSAGES =
  /Connection is closed|Command timed out|Stream isn't writeable|isn't ready|enableOfflineQueue|Cluster is ended|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|NOAUTH|WRONGPASS)\b/;

/**
 * True only when `error` says Redis could not be asked or did not answer: the connection is down, refused
 * or closed, a command or `withDeadline` timed out, a breaker is open, or Redis replied that it cannot
 * serve now (LOADING, BUSY, failover, auth). Narrower than {@link isRedisUnavailableError}, which counts
 * anything unexpected: use this one where the answer decides whether to fail closed or fall back (an
 * unexpected reply or a bug must never look like an outage).
 */
export function isRedisUnreachableError(error: unknown): boolean {
  if (error instanceof DeadlineExceededError || error instanceof CircuitOpenError) return true;
  if (!(error instanceof Error)) return false;
  return NO_ANSWER_NAMES.has(error.name) || NO_ANSWER_MESSAGES.test(error.message);
}
