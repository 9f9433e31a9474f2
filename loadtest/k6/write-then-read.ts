// k6 run loadtest/k6/write-then-read.ts — writes followed by reads, invalidation lag; see README.md.
import type { Options } from 'k6/options';
import { ApiClient } from './lib/api-client.ts';
import { arrivalFromEnv, envNumber, loadRunConfig } from './lib/env-config.ts';
import { SETUP_TIMEOUT, SUMMARY_TREND_STATS, TEARDOWN_TIMEOUT } from './lib/scenario-options.ts';
import { buildSummary, type SummaryData } from './lib/summary-report.ts';
import { deleteUsers, newRunIdentity } from './lib/test-users.ts';
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
const arrival = arrivalFromEnv('', { rate: 10, iterationSeconds: 0.2 }, config.duration);
const writeOptions = {
  writers: envNumber('USERS', 10, { min: 1, integer: true }),
  maxLagMs: envNumber('MAX_LAG_MS', 2000, { min: 1 }),
  pollMs: envNumber('POLL_MS', 5, { min: 1 }),
};

export const options: Options = {
  scenarios: {
    [WRITE_THEN_READ]: { executor: 'constant-arrival-rate', exec: 'writeThenRead', ...arrival },
  },
  thresholds: { dropped_iterations: ['count==0'], ...writeThenReadThresholds(config.latencyScale) },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: SETUP_TIMEOUT,
  teardownTimeout: TEARDOWN_TIMEOUT,
};

export function setup(): WriteThenReadData {
  return setupWriteThenRead(api, newRunIdentity(), writeOptions);
}

export function writeThenRead(data: WriteThenReadData): void {
  writeThenReadIteration(api, data);
}

export function teardown(data: WriteThenReadData): void {
  if (!config.keepUsers) deleteUsers(api, writeThenReadUsers(data));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return buildSummary({
    scenario: 'write-then-read',
    data,
    resultsDir: config.resultsDir,
    config: { baseUrl: config.baseUrl, duration: config.duration, rate: arrival.rate, ...writeOptions },
    highlights: [
      `http_req_duration{scenario:${WRITE_THEN_READ},op:write}`,
      'invalidation_lag_ms',
      'stale_read_after_write',
      'http_reqs',
      'dropped_iterations',
    ],
  });
}
