// Writes followed by reads: PATCH /users/:id, then GET until the new version shows. docs/design.md promises
// read-your-writes (the user service deletes the cache key after commit, the event path is the backstop),
// so the first read after a write should already be fresh; the lag Trend measures how long clients
// actually wait and the stale-read Rate catches any window in which the old version is still served.
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Rate, Trend } from 'k6/metrics';
import { type ApiClient, header, jsonBody } from '../lib/api-client.ts';
import { isUser } from '../lib/api-types.ts';
import { baseThresholds, latencyThresholds, type Thresholds } from '../lib/scenario-options.ts';
import { type RunIdentity, registerUsers, type TestUser } from '../lib/test-users.ts';

/** The scenario's name in `options.scenarios`, hence its `scenario` tag. */
export const WRITE_THEN_READ = 'write_then_read';

/**
 * Milliseconds from the PATCH's 200 to the end of the first GET showing that version (or a newer one).
 * It includes that GET's round trip: with read-your-writes it equals one read's latency.
 */
const invalidationLag = new Trend('invalidation_lag_ms', true);

/** Share of writes whose first following read still served an older version. */
const staleReadAfterWrite = new Rate('stale_read_after_write');

/** Setup knobs. */
export interface WriteThenReadOptions {
  /** Users that write (only to their own profile: PATCH is self-only) (`USERS`). */
  writers: number;
  /** Give up polling after this long; counted as a failed check (`MAX_LAG_MS`). */
  maxLagMs: number;
  /** Pause between polls (`POLL_MS`). */
  pollMs: number;
}

/** Setup data. */
export interface WriteThenReadData {
  runId: string;
  writers: TestUser[];
  maxLagMs: number;
  pollMs: number;
}

/** Registers the writers. */
export function setupWriteThenRead(
  api: ApiClient,
  run: RunIdentity,
  options: WriteThenReadOptions,
): WriteThenReadData {
  return {
    runId: run.runId,
    writers: registerUsers(api, run, 'writer', options.writers),
    maxLagMs: options.maxLagMs,
    pollMs: options.pollMs,
  };
}

/**
 * One write by the next writer (round robin), then reads of that profile by a different user, the way
 * other clients see it (a self read may take another path through the cache).
 */
export function writeThenReadIteration(api: ApiClient, data: WriteThenReadData): void {
  const n = data.writers.length;
  const i = exec.scenario.iterationInTest;
  const writer = data.writers[i % n];
  if (writer === undefined) return;
  const reader = n > 1 ? data.writers[(i + 1) % n] : undefined;

  const patch = api.patch(
    `/users/${writer.id}`,
    { bio: `k6 ${data.runId} write ${i}` },
    { token: writer.token, tags: { name: 'PATCH /users/{id}', op: 'write' } },
  );
  const writtenAt = Date.now();
  const patchBody = jsonBody(patch);
  const written = isUser(patchBody) ? patchBody : undefined;
  const wrote = check(patch, {
    'write: PATCH is 200': (r) => r.status === 200,
    'write: answers the user with its new version': () => written?.id === writer.id,
  });
  if (!wrote || written === undefined) return;

  const deadline = writtenAt + data.maxLagMs;
  for (let first = true; ; first = false) {
    const res = api.get(`/users/${writer.id}`, {
      token: reader?.token,
      tags: { name: 'GET /users/{id}', op: 'read' },
    });
    const body = jsonBody(res);
    const seen = res.status === 200 && isUser(body) ? body : undefined;
    const fresh = seen !== undefined && seen.version >= written.version;
    if (first) staleReadAfterWrite.add(!fresh);
    if (fresh) {
      invalidationLag.add(Date.now() - writtenAt);
      check(res, { 'read: ETag matches the version read': (r) => header(r, 'ETag') === `"${seen.version}"` });
    }
    if (fresh || res.status !== 200 || Date.now() + data.pollMs >= deadline) {
      check(res, { [`read: new version visible within ${data.maxLagMs} ms`]: () => fresh });
      return;
    }
    sleep(data.pollMs / 1000);
  }
}

/** Write and read latency, no stale first read, and a bounded lag (the event path's 250 ms target). */
export function writeThenReadThresholds(latencyScale: number): Thresholds {
  return {
    ...baseThresholds(WRITE_THEN_READ),
    ...latencyThresholds(`scenario:${WRITE_THEN_READ},op:write`, 150, 400, latencyScale),
    ...latencyThresholds(`scenario:${WRITE_THEN_READ},op:read`, 50, 150, latencyScale),
    [`invalidation_lag_ms{scenario:${WRITE_THEN_READ}}`]: [`p(99)<${Math.round(250 * latencyScale)}`],
    [`stale_read_after_write{scenario:${WRITE_THEN_READ}}`]: ['rate<0.01'],
  };
}

/** Every user setup created, for teardown. */
export function writeThenReadUsers(data: WriteThenReadData): TestUser[] {
  return data.writers;
}
