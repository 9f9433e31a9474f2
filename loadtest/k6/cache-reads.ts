// k6 run loadtest/k6/cache-reads.ts — cache-heavy reads; see README.md.
import type { Options } from 'k6/options';
import { ApiClient } from './lib/api-client.ts';
import { arrivalFromEnv, envChoice, envNumber, loadRunConfig } from './lib/env-config.ts';
import { SETUP_TIMEOUT, SUMMARY_TREND_STATS, TEARDOWN_TIMEOUT } from './lib/scenario-options.ts';
import { buildSummary, type SummaryData } from './lib/summary-report.ts';
import { deleteUsers, newRunIdentity } from './lib/test-users.ts';
import {
  CACHE_READS,
  type CacheReadsData,
  cacheReadsIteration,
  cacheReadsThresholds,
  cacheReadsUsers,
  setupCacheReads,
} from './scenarios/cache-reads.scenario.ts';

const config = loadRunConfig();
const api = new ApiClient(config.baseUrl);
const arrival = arrivalFromEnv('', { rate: 100, iterationSeconds: 0.05 }, config.duration);
const hotSetSize = envNumber('HOT_SET', 10, { min: 1, integer: true });
const readAs = envChoice('READ_AS', ['user', 'anonymous'], 'user');
const readers = readAs === 'anonymous' ? 0 : envNumber('USERS', 10, { min: 1, integer: true });

export const options: Options = {
  scenarios: {
    [CACHE_READS]: { executor: 'constant-arrival-rate', exec: 'cacheReads', ...arrival },
  },
  thresholds: { dropped_iterations: ['count==0'], ...cacheReadsThresholds(config.latencyScale) },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: SETUP_TIMEOUT,
  teardownTimeout: TEARDOWN_TIMEOUT,
};

export function setup(): CacheReadsData {
  return setupCacheReads(api, newRunIdentity(), { hotSetSize, readers });
}

export function cacheReads(data: CacheReadsData): void {
  cacheReadsIteration(api, data);
}

export function teardown(data: CacheReadsData): void {
  if (!config.keepUsers) deleteUsers(api, cacheReadsUsers(data));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return buildSummary({
    scenario: 'cache-reads',
    data,
    resultsDir: config.resultsDir,
    config: {
      baseUrl: config.baseUrl,
      duration: config.duration,
      rate: arrival.rate,
      hotSetSize,
      readAs,
      readers,
    },
    highlights: [
      `http_req_duration{scenario:${CACHE_READS}}`,
      'cache_hit',
      'http_reqs',
      'dropped_iterations',
    ],
  });
}
