// k6 run loadtest/k6/browse.ts — login + authenticated browsing; see README.md.
import type { Options } from 'k6/options';
import { ApiClient } from './lib/api-client.ts';
import { arrivalFromEnv, envNumber, loadRunConfig } from './lib/env-config.ts';
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

const config = loadRunConfig();
const api = new ApiClient(config.baseUrl);
const arrival = arrivalFromEnv('', { rate: 5, iterationSeconds: 1 }, config.duration);
const browseOptions = {
  accounts: envNumber('USERS', 20, { min: 1, integer: true }),
  pageSize: envNumber('PAGE_SIZE', 20, { min: 1, integer: true }),
};
if (browseOptions.pageSize > 100)
  throw new Error(`PAGE_SIZE=${browseOptions.pageSize}: docs/api.md allows 1–100`);

export const options: Options = {
  scenarios: {
    [BROWSE]: { executor: 'constant-arrival-rate', exec: 'browse', ...arrival },
  },
  thresholds: { dropped_iterations: ['count==0'], ...browseThresholds(config.latencyScale) },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: SETUP_TIMEOUT,
  teardownTimeout: TEARDOWN_TIMEOUT,
};

export function setup(): BrowseData {
  return setupBrowse(api, newRunIdentity(), browseOptions);
}

export function browse(data: BrowseData): void {
  browseIteration(api, data);
}

export function teardown(data: BrowseData): void {
  if (!config.keepUsers) deleteUsers(api, browseUsers(data));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return buildSummary({
    scenario: 'browse',
    data,
    resultsDir: config.resultsDir,
    config: { baseUrl: config.baseUrl, duration: config.duration, rate: arrival.rate, ...browseOptions },
    highlights: [
      `http_req_duration{scenario:${BROWSE},op:login}`,
      `http_req_duration{scenario:${BROWSE},op:read}`,
      'http_reqs',
      'dropped_iterations',
    ],
  });
}
