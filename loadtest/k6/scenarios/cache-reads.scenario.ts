// Cache-heavy reads: GET /users/:id over a small hot set, warmed in setup, so nearly every read should be
// answered from Redis. The hit ratio comes from the `X-Cache` header the user service sets.
import { check } from 'k6';
import exec from 'k6/execution';
import { Rate } from 'k6/metrics';
import { type ApiClient, header, jsonBody } from '../lib/api-client.ts';
import { isUser } from '../lib/api-types.ts';
import { baseThresholds, latencyThresholds, type Thresholds } from '../lib/scenario-options.ts';
import { type RunIdentity, registerUsers, type TestUser } from '../lib/test-users.ts';

/** The scenario's name in `options.scenarios`, hence its `scenario` tag. */
export const CACHE_READS = 'cache_reads';

/** `X-Cache` values docs/api.md allows. */
const X_CACHE_VALUES = ['HIT', 'MISS', 'STALE', 'BYPASS'];

/** Share of 200 reads answered `X-Cache: HIT` (MISS, STALE and BYPASS count as not hit). */
const cacheHit = new Rate('cache_hit');

/** Setup knobs. */
export interface CacheReadsOptions {
  /** Users whose profiles are read (`HOT_SET`). */
  hotSetSize: number;
  /** Signed-in readers rotated over (`USERS`); 0 reads anonymously (per-IP limits). */
  readers: number;
}

/** Setup data: the hot profiles and the readers' tokens. */
export interface CacheReadsData {
  hot: TestUser[];
  readers: TestUser[];
}

const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

/** Registers the hot set and the readers, then reads every hot profile once so the cache starts warm. */
export function setupCacheReads(
  api: ApiClient,
  run: RunIdentity,
  options: CacheReadsOptions,
): CacheReadsData {
  const hot = registerUsers(api, run, 'hot', options.hotSetSize);
  const readers = registerUsers(api, run, 'reader', options.readers);
  for (const user of hot) {
    const res = api.get(`/users/${user.id}`, {
      token: readers[0]?.token,
      tags: { name: 'GET /users/{id}', op: 'setup' },
    });
    check(res, { 'setup: warm-up read is 200': (r) => r.status === 200 });
  }
  return { hot, readers };
}

/**
 * One read of a random hot profile (another user's: the public, cached view). Readers take turns rather
 * than being drawn at random, so each spends an even share of the rate against its per-user quota.
 */
export function cacheReadsIteration(api: ApiClient, data: CacheReadsData): void {
  const target = pick(data.hot);
  if (target === undefined) return;
  const reader = data.readers[exec.scenario.iterationInTest % Math.max(1, data.readers.length)];
  const res = api.get(`/users/${target.id}`, {
    token: reader?.token,
    tags: { name: 'GET /users/{id}', op: 'read' },
  });
  const xCache = header(res, 'X-Cache');
  const body = jsonBody(res);
  const user = isUser(body) ? body : undefined;
  if (res.status === 200) cacheHit.add(xCache === 'HIT');
  check(res, {
    'read: status 200': (r) => r.status === 200,
    'read: body is the requested user': () => user?.id === target.id,
    'read: X-Cache is HIT|MISS|STALE|BYPASS': () => xCache !== undefined && X_CACHE_VALUES.includes(xCache),
    'read: ETag is "<version>"': () => user !== undefined && header(res, 'ETag') === `"${user.version}"`,
    'read: no email on another user': () => user !== undefined && user.email === undefined,
  });
}

/** Latency of a cache hit path through the gateway, and at least 95 % hits on a warm hot set. */
export function cacheReadsThresholds(latencyScale: number): Thresholds {
  return {
    ...baseThresholds(CACHE_READS),
    ...latencyThresholds(`scenario:${CACHE_READS}`, 50, 150, latencyScale),
    [`cache_hit{scenario:${CACHE_READS}}`]: ['rate>0.95'],
  };
}

/** Every user setup created, for teardown. */
export function cacheReadsUsers(data: CacheReadsData): TestUser[] {
  return [...data.hot, ...data.readers];
}
