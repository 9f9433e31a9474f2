import { DEGRADED_HEADER, DEGRADED_SESSIONS } from '@redwire/contracts';
import type { HttpOutcome } from './loopback-client';
import type { RequestRecord } from './request-record';

/** The parts of an answer the checks need: version of a profile, problem code, degraded markers. */
export function describeAnswer(outcome: HttpOutcome): Partial<RequestRecord> {
  if (outcome.status === 0) return {};
  const header = (name: string) => {
    const value = outcome.headers[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const degraded =
    header(DEGRADED_HEADER)
      ?.split(',')
      .some((v) => v.trim() === DEGRADED_SESSIONS) === true;
  const limiterMode = header('ratelimit-mode');
  const retryAfter = header('retry-after') !== undefined;
  const parsed: { version?: number; code?: string; detail?: string } = {};
  try {
    const body = JSON.parse(outcome.body) as { version?: unknown; code?: unknown; detail?: unknown };
    if (outcome.status === 200 && typeof body.version === 'number') parsed.version = body.version;
    if (outcome.status >= 400 && typeof body.code === 'string') parsed.code = body.code;
    if (outcome.status >= 500 && typeof body.detail === 'string') parsed.detail = body.detail;
  } catch {
    // not JSON (an empty 204, a proxy's plain-text error)
  }
  return {
    ...parsed,
    ...(degraded ? { degraded } : {}),
    ...(limiterMode ? { limiterMode } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
}
