import { check, fail, sleep } from 'k6';
import http from 'k6/http';
import { type ApiClient, type ApiResponse, describe, header, jsonBody } from './api-client.ts';
import { readLogin, readRegistered } from './api-types.ts';
import { parseRetryAfter } from './rate-limit-headers.ts';

/** Per-run values: every user a run creates is new, so runs never collide on an email. */
export interface RunIdentity {
  runId: string;
  /** One password for the run's users (15–256 chars per docs/api.md); lives only in setup data, never in results. */
  password: string;
}

/** A user registered and logged in by setup. */
export interface TestUser {
  id: string;
  email: string;
  token: string;
}

// Setup and teardown retry 429s (register and login have strict per-IP policies), so a 429 there is not a
// failed request.
const SETUP_EXPECTED = http.expectedStatuses({ min: 200, max: 299 }, 429);
const MAX_ATTEMPTS = 6;
const MAX_RETRY_WAIT_SECONDS = 30;
const POLICY_HINT = 'start the gateway with the load-test policy file (loadtest/k6/README.md)';

const randomId = (length: number): string => {
  let out = '';
  while (out.length < length) out += Math.floor(Math.random() * 36 ** 6).toString(36);
  return out.slice(0, length);
};

/** A fresh run id and password; call in `setup()`. */
export function newRunIdentity(): RunIdentity {
  const runId = `${Date.now().toString(36)}${randomId(4)}`;
  return { runId, password: `redwire-k6-${runId}-${randomId(12)}` };
}

/** The address a run's `index`-th user of `label` registers with. */
export function emailFor(run: RunIdentity, label: string, index: number): string {
  return `k6-${run.runId}-${label}-${index}@example.com`;
}

/**
 * Sends, and on 429 waits out `Retry-After` and sends again. When waiting is hopeless, setup aborts the run
 * (`onHopeless: 'abort'`) while teardown gives up on that request and returns the 429 (`'return'`).
 */
function sendPatiently(what: string, onHopeless: 'abort' | 'return', send: () => ApiResponse): ApiResponse {
  for (let attempt = 1; ; attempt++) {
    const res = send();
    if (res.status !== 429) return res;
    const wait = parseRetryAfter(header(res, 'Retry-After')) ?? 1;
    if (attempt >= MAX_ATTEMPTS || wait > MAX_RETRY_WAIT_SECONDS) {
      const message = `${what}: still rate-limited after ${attempt} attempts (Retry-After ${wait}s)`;
      if (onHopeless === 'abort') fail(`${message}; ${POLICY_HINT}`);
      console.warn(message);
      return res;
    }
    console.warn(`${what}: 429, retrying in ${wait}s (${POLICY_HINT})`);
    sleep(wait);
  }
}

/** Logs in with the API and returns the bearer token; aborts the run on failure. */
export function logIn(api: ApiClient, email: string, password: string): string {
  const res = sendPatiently('setup login', 'abort', () =>
    api.post(
      '/auth/login',
      { email, password },
      { tags: { name: 'POST /auth/login', op: 'setup' }, responseCallback: SETUP_EXPECTED },
    ),
  );
  const login = res.status === 200 ? readLogin(jsonBody(res)) : undefined;
  if (login === undefined) fail(`setup login: expected 200 {user, token, session}, got ${describe(res)}`);
  return login.token;
}

/** Registers `count` users labelled `label` through `POST /auth/register`, then logs each in. */
export function registerUsers(api: ApiClient, run: RunIdentity, label: string, count: number): TestUser[] {
  const users: TestUser[] = [];
  for (let index = 0; index < count; index++) {
    const email = emailFor(run, label, index);
    const res = sendPatiently('setup register', 'abort', () =>
      api.post(
        '/auth/register',
        { email, password: run.password, name: `k6 ${label} ${index}` },
        { tags: { name: 'POST /auth/register', op: 'setup' }, responseCallback: SETUP_EXPECTED },
      ),
    );
    const user = res.status === 201 ? readRegistered(jsonBody(res)) : undefined;
    if (user === undefined) fail(`setup register: expected 201 {user}, got ${describe(res)}`);
    users.push({ id: user.id, email, token: logIn(api, email, run.password) });
  }
  return users;
}

/**
 * Deletes the run's users (their credentials and sessions go with them, per docs/api.md), so repeated runs do
 * not grow the database. Best effort: a failure is logged and counted as a failed check, not fatal.
 */
export function deleteUsers(api: ApiClient, users: TestUser[]): void {
  let failed = 0;
  for (const user of users) {
    const res = sendPatiently('teardown delete', 'return', () =>
      api.del(`/users/${user.id}`, {
        token: user.token,
        tags: { name: 'DELETE /users/{id}', op: 'teardown' },
        responseCallback: SETUP_EXPECTED,
      }),
    );
    if (!check(res, { 'teardown: DELETE /users/{id} is 204': (r) => r.status === 204 })) failed++;
  }
  if (failed > 0) console.warn(`teardown: ${failed} of ${users.length} users could not be deleted`);
}
