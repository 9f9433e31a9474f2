// Login + authenticated browsing: a session's whole life per iteration — log in, look at yourself, page
// through users, open one, log out. Login hashes a password (argon2), so it has its own latency bound.
import { check } from 'k6';
import exec from 'k6/execution';
import { type ApiClient, jsonBody } from '../lib/api-client.ts';
import { isUser, readLogin, readMe, readUserPage } from '../lib/api-types.ts';
import { baseThresholds, latencyThresholds, type Thresholds } from '../lib/scenario-options.ts';
import { type RunIdentity, registerUsers, type TestUser } from '../lib/test-users.ts';

/** The scenario's name in `options.scenarios`, hence its `scenario` tag. */
export const BROWSE = 'browse';

/** Setup knobs. */
export interface BrowseOptions {
  /**
   * Accounts logged into in turn (`USERS`). Keep it well above the logins in flight per account: docs/api.md
   * revokes the oldest of more than 10 live sessions, which would fail an iteration still browsing.
   */
  accounts: number;
  /** `limit` for `GET /users` (1–100) (`PAGE_SIZE`). */
  pageSize: number;
}

/** Setup data. */
export interface BrowseData {
  accounts: TestUser[];
  /** The run's password: browse logs in on every iteration. Never written to results. */
  password: string;
  pageSize: number;
}

/** Registers the accounts. */
export function setupBrowse(api: ApiClient, run: RunIdentity, options: BrowseOptions): BrowseData {
  return {
    accounts: registerUsers(api, run, 'browser', options.accounts),
    password: run.password,
    pageSize: options.pageSize,
  };
}

/** One session: login → /auth/me → two pages of /users → one profile → logout. */
export function browseIteration(api: ApiClient, data: BrowseData): void {
  const account = data.accounts[exec.scenario.iterationInTest % data.accounts.length];
  if (account === undefined) return;

  const loginRes = api.post(
    '/auth/login',
    { email: account.email, password: data.password },
    { tags: { name: 'POST /auth/login', op: 'login' } },
  );
  const login = loginRes.status === 200 ? readLogin(jsonBody(loginRes)) : undefined;
  check(loginRes, { 'login: 200 with a token and a session': () => login !== undefined });
  if (login === undefined) return;
  const read = (path: string, name: string) =>
    api.get(path, { token: login.token, tags: { name, op: 'read' } });

  const meRes = read('/auth/me', 'GET /auth/me');
  check(meRes, {
    'me: 200, the logged-in user': (r) => r.status === 200 && readMe(jsonBody(r))?.id === account.id,
  });

  const firstRes = read(`/users?limit=${data.pageSize}`, 'GET /users');
  const first = firstRes.status === 200 ? readUserPage(jsonBody(firstRes)) : undefined;
  check(firstRes, {
    'list: 200 {items, nextCursor}': () => first !== undefined,
    'list: at most limit items': () => first !== undefined && first.items.length <= data.pageSize,
    "list: no other user's email": () =>
      first?.items.every((u) => u.id === account.id || u.email === undefined) === true,
  });

  if (first?.nextCursor) {
    const cursor = encodeURIComponent(first.nextCursor);
    const nextRes = read(`/users?limit=${data.pageSize}&cursor=${cursor}`, 'GET /users');
    const next = nextRes.status === 200 ? readUserPage(jsonBody(nextRes)) : undefined;
    const lastOfFirst = first.items[first.items.length - 1]?.id ?? '';
    check(nextRes, {
      'list page 2: 200, ids continue ascending': () => next?.items.every((u) => u.id > lastOfFirst) === true,
    });
  }

  const someone = first?.items[Math.floor(Math.random() * first.items.length)];
  if (someone !== undefined) {
    const userRes = read(`/users/${someone.id}`, 'GET /users/{id}');
    check(userRes, {
      'profile: 200, the user listed': (r) => {
        const body = r.status === 200 ? jsonBody(r) : undefined;
        return isUser(body) && body.id === someone.id;
      },
    });
  }

  const logoutRes = api.post('/auth/logout', undefined, {
    token: login.token,
    tags: { name: 'POST /auth/logout', op: 'logout' },
  });
  check(logoutRes, { 'logout: 204': (r) => r.status === 204 });
}

/** Login pays for a password hash; everything after it is session validation plus a (cached) read. */
export function browseThresholds(latencyScale: number): Thresholds {
  return {
    ...baseThresholds(BROWSE),
    ...latencyThresholds(`scenario:${BROWSE},op:login`, 500, 1000, latencyScale),
    ...latencyThresholds(`scenario:${BROWSE},op:read`, 80, 200, latencyScale),
    ...latencyThresholds(`scenario:${BROWSE},op:logout`, 80, 200, latencyScale),
  };
}

/** Every user setup created, for teardown. */
export function browseUsers(data: BrowseData): TestUser[] {
  return data.accounts;
}
