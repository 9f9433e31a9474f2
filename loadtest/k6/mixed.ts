// k6 run loadtest/k6/mixed.ts — all four scenarios at once against one stack; see README.md.
// Rates and user counts per scenario come from prefixed variables: CACHE_READS_RATE, WRITES_RATE,
// BURST_RATE, BROWSE_RATE (and <PREFIX>USERS, <PREFIX>PRE_ALLOCATED_VUS, <PREFIX>MAX_VUS).
import type { Options } from 'k6/options';
import { ApiClient } from './lib/api-client.ts';
import { arrivalFromEnv, envChoice, envNumber, loadRunConfig } from './lib/env-config.ts';
import { SETUP_TIMEOUT, SUMMARY_TREND_STATS, TEARDOWN_TIMEOUT } from './lib/scenario-options.ts';
import { buildSummary, type SummaryData } from './lib/summary-report.ts';
import { deleteUsers, newRunIdentity } from './lib/test-users.ts';
import {
  BROWSE,
  type BrowseData,
  browseIteration,
  browseThresholds,
  browseUsers,
  setupBrowse,
} from './scenarios/browse.scenario.ts';
import {
  CACHE_READS,
  type CacheReadsData,
  cacheReadsIteration,
  cacheReadsThresholds,
  cacheReadsUsers,
  setupCacheReads,
} from './scenarios/cache-reads.scenario.ts';
import {
  type BurstData,
  burstIteration,
  burstThresholds,
  burstUsers,
  burstVerdict,
  RATE_LIMIT_BURST,
  setupBurst,
} from './scenarios/rate-limit-burst.scenario.ts';
import {
  setupWriteThenRead,
  WRITE_THEN_READ,
  type WriteThenReadData,
  writeThenReadIteration,
  writeThenReadThresholds,
  writeThenReadUsers,
} from './scenarios/write-then-read.scenario.ts';

const config = loadRunConfig();
const api = new ApiClient(config.baseUrl);
const users = (prefix: string, fallback: number): number =>
  envNumber(`${prefix}USERS`, fallback, { min: 1, integer: true });

const reads = arrivalFromEnv('CACHE_READS_', { rate: 50, iterationSeconds: 0.05 }, config.duration);
const writes = arrivalFromEnv('WRITES_', { rate: 5, iterationSeconds: 0.2 }, config.duration);
const bursts = arrivalFromEnv('BURST_', { rate: 40, iterationSeconds: 0.05 }, config.duration);
const browsing = arrivalFromEnv('BROWSE_', { rate: 2, iterationSeconds: 1 }, config.duration);

const readOptions = {
  hotSetSize: envNumber('HOT_SET', 10, { min: 1, integer: true }),
  readers:
    envChoice('READ_AS', ['user', 'anonymous'], 'user') === 'anonymous' ? 0 : users('CACHE_READS_', 10),
};
const writeOptions = {
  writers: users('WRITES_', 10),
  maxLagMs: envNumber('MAX_LAG_MS', 2000, { min: 1 }),
  pollMs: envNumber('POLL_MS', 5, { min: 1 }),
};
const browseOptions = { accounts: users('BROWSE_', 20), pageSize: 20 };

export const options: Options = {
  scenarios: {
    [CACHE_READS]: { executor: 'constant-arrival-rate', exec: 'cacheReads', ...reads },
    [WRITE_THEN_READ]: { executor: 'constant-arrival-rate', exec: 'writeThenRead', ...writes },
    [RATE_LIMIT_BURST]: { executor: 'constant-arrival-rate', exec: 'burst', ...bursts },
    [BROWSE]: { executor: 'constant-arrival-rate', exec: 'browse', ...browsing },
  },
  thresholds: {
    dropped_iterations: ['count==0'],
    ...cacheReadsThresholds(config.latencyScale),
    ...writeThenReadThresholds(config.latencyScale),
    ...burstThresholds(config.latencyScale),
    ...browseThresholds(config.latencyScale),
  },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: SETUP_TIMEOUT,
  teardownTimeout: TEARDOWN_TIMEOUT,
};

/** Each scenario's own setup data; the burst keeps the global 2xx-only callback and marks 429 per request. */
export interface MixedData {
  cacheReads: CacheReadsData;
  writeThenRead: WriteThenReadData;
  burst: BurstData;
  browse: BrowseData;
}

export function setup(): MixedData {
  const run = newRunIdentity();
  return {
    cacheReads: setupCacheReads(api, run, readOptions),
    writeThenRead: setupWriteThenRead(api, run, writeOptions),
    burst: setupBurst(api, run),
    browse: setupBrowse(api, run, browseOptions),
  };
}

export function cacheReads(data: MixedData): void {
  cacheReadsIteration(api, data.cacheReads);
}

export function writeThenRead(data: MixedData): void {
  writeThenReadIteration(api, data.writeThenRead);
}

export function burst(data: MixedData): void {
  burstIteration(api, data.burst);
}

export function browse(data: MixedData): void {
  browseIteration(api, data.browse);
}

export function teardown(data: MixedData): void {
  if (config.keepUsers) return;
  deleteUsers(api, [
    ...cacheReadsUsers(data.cacheReads),
    ...writeThenReadUsers(data.writeThenRead),
    ...browseUsers(data.browse),
    // Last: this user has just exhausted its quota and may have to wait out a Retry-After.
    ...burstUsers(data.burst),
  ]);
}

const burstSetup = (setupData: unknown): unknown =>
  typeof setupData === 'object' && setupData !== null ? (setupData as Partial<MixedData>).burst : undefined;

export function handleSummary(data: SummaryData): Record<string, string> {
  return buildSummary({
    scenario: 'mixed',
    data,
    resultsDir: config.resultsDir,
    config: {
      baseUrl: config.baseUrl,
      duration: config.duration,
      cacheReadsRate: reads.rate,
      writesRate: writes.rate,
      burstRate: bursts.rate,
      browseRate: browsing.rate,
    },
    highlights: [
      'cache_hit',
      'invalidation_lag_ms',
      'stale_read_after_write',
      'ratelimit_admitted',
      'ratelimit_limited',
      'http_reqs',
      'dropped_iterations',
    ],
    verdicts: {
      [RATE_LIMIT_BURST]: burstVerdict(data, burstSetup(data.setup_data), config.durationSeconds),
    },
  });
}
