import { DeadlineExceededError, isRequestDeadlineExceeded } from '@redwire/deadline';
import { CircuitOpenError, RedisKitError } from '../errors';

// ioredis errors that mean "Redis gave no answer" (down, unreachable, timed out), matched by name and
// message because ioredis exposes no codes.
const NO_ANSWER_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError']);
const NO_ANSWER_MESSAGES =
  /Connection is closed|Command timed out|Stream isn't writeable|isn't ready|enableOfflineQueue|Cluster is ended|Too many Cluster redirections|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/;
// Replies that mean "cannot serve now": loading, busy script, failover, out of memory, credentials.
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|READONLY|OOM|NOAUTH|WRONGPASS)\b/;

/**
 * The one answer to "did Redis fail to serve this call?" — true when Redis could not be asked or did not
 * answer (the connection is down, refused or closed; a command or `withDeadline` timed out; a breaker is
 * open) or replied that it cannot serve now (LOADING, BUSY, failover, OOM, auth). False for everything
 * else: a command error (WRONGTYPE, a script error), this package's own errors (a value too large, a bad
 * key), a request whose own deadline ran out (`@redwire/deadline`: says nothing about Redis), and any
 * unexpected error — a bug must never look like an outage. Circuit breakers count exactly these as
 * failures; request paths answer 503 (or fall back) for exactly these.
 */
export function isRedisUnavailableError(error: unknown): boolean {
  if (error instanceof DeadlineExceededError || error instanceof CircuitOpenError) return true;
  if (error instanceof RedisKitError || isRequestDeadlineExceeded(error)) return false;
  if (!(error instanceof Error)) return false;
  // By name: another copy of ioredis in the tree has its own ReplyError class.
  if (error.name === 'ReplyError') return UNAVAILABLE_REPLIES.test(error.message);
  return (
    NO_ANSWER_NAMES.has(error.name) ||
    NO_ANSWER_MESSAGES.test(error.message) ||
    UNAVAILABLE_REPLIES.test(error.message)
  );
}
