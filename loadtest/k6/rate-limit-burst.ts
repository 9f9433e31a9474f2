// k6 run loadtest/k6/rate-limit-burst.ts — exceed a rate-limit policy on purpose; see README.md.
import http from 'k6/http';
import type { Options } from 'k6/options';
import { ApiClient } from './lib/api-client.ts';
import { arrivalFromEnv, loadRunConfig } from './lib/env-config.ts';
import { SETUP_TIMEOUT, SUMMARY_TREND_STATS, TEARDOWN_TIMEOUT } from './lib/scenario-options.ts';
import { buildSummary, type SummaryData } from './lib/summary-report.ts';
import { deleteUsers, newRunIdentity } from './lib/test-users.ts';
import {
  BURST_EXPECTED,
  type BurstData,
  burstIteration,
  burstThresholds,
  burstUsers,
  burstVerdict,
  RATE_LIMIT_BURST,
  setupBurst,
} from './scenarios/rate-limit-burst.scenario.ts';

// Every request of this script may meet the limit; a 429 is an answer, not a failure.
http.setResponseCallback(BURST_EXPECTED);

const config = loadRunConfig();
const api = new ApiClient(config.baseUrl);
const arrival = arrivalFromEnv('', { rate: 50, iterationSeconds: 0.05 }, config.duration);

export const options: Options = {
  scenarios: {
    [RATE_LIMIT_BURST]: { executor: 'constant-arrival-rate', exec: 'burst', ...arrival },
  },
  thresholds: { dropped_iterations: ['count==0'], ...burstThresholds(config.latencyScale) },
  summaryTrendStats: SUMMARY_TREND_STATS,
  setupTimeout: SETUP_TIMEOUT,
  teardownTimeout: TEARDOWN_TIMEOUT,
};

export function setup(): BurstData {
  return setupBurst(api, newRunIdentity());
}

export function burst(data: BurstData): void {
  burstIteration(api, data);
}

export function teardown(data: BurstData): void {
  if (!config.keepUsers) deleteUsers(api, burstUsers(data));
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return buildSummary({
    scenario: 'rate-limit-burst',
    data,
    resultsDir: config.resultsDir,
    config: { baseUrl: config.baseUrl, duration: config.duration, rate: arrival.rate },
    highlights: ['ratelimit_admitted', 'ratelimit_limited', 'ratelimit_limited_ratio', 'http_reqs'],
    verdicts: { [RATE_LIMIT_BURST]: burstVerdict(data, data.setup_data, config.durationSeconds) },
  });
}
