import { BoundCounter, type CounterChild } from '@redwire/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Decision outcomes per policy: `degraded` means Redis failed and the policy's failure mode decided. */
export type PolicyOutcomeLabel = 'allowed' | 'limited' | 'shadow' | 'degraded';

/** One policy's counters, bound to their labels once (see BoundCounter: a plain addition per call). */
export interface PolicyCounters {
  readonly decisions: Readonly<Record<PolicyOutcomeLabel, CounterChild>>;
  readonly nearLimit: CounterChild;
  readonly denyCacheHits: CounterChild;
}

/**
 * The limiter's Prometheus metrics, `<prefix>_*`. Labels are policy names and fixed enums only (bounded),
 * never keys. Internal: the limiter registers them when given a registry.
 */
export class RateLimitMetrics {
  readonly decisions: BoundCounter<'policy' | 'outcome'>;
  readonly nearLimit: BoundCounter<'policy'>;
  readonly redisSeconds: Histogram<'result'>;
  /** `redisSeconds` bound to `result="ok"`, the path every allowed request takes. */
  readonly redisOk: { observe(seconds: number): void };
  readonly denyCacheHits: BoundCounter<'policy'>;
  readonly degraded: Counter<'mode'>;
  readonly failOpen: Counter;
  readonly mode: Gauge;
  readonly #byPolicy = new Map<string, PolicyCounters>();

  constructor(registry: Registry, prefix: string) {
    const registers = [registry];
    this.decisions = new BoundCounter({
      name: `${prefix}_decisions_total`,
      help: 'Rate-limit decisions per policy: allowed, limited, shadow (a shadow policy would have limited), degraded (Redis failed; the failure mode decided).',
      labelNames: ['policy', 'outcome'],
      registers,
    });
    this.nearLimit = new BoundCounter({
      name: `${prefix}_near_limit_total`,
      help: 'Allowed requests that left a policy with at most 20% of its quota.',
      labelNames: ['policy'],
      registers,
    });
    this.redisSeconds = new Histogram({
      name: `${prefix}_redis_duration_seconds`,
      help: 'Latency of one rate-limit decision in Redis (all policies of a request), by result (ok, timeout, error).',
      labelNames: ['result'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.redisOk = this.redisSeconds.labels({ result: 'ok' });
    this.denyCacheHits = new BoundCounter({
      name: `${prefix}_deny_cache_hits_total`,
      help: 'Requests denied from the in-process cache of identities over their limit, without a Redis call.',
      labelNames: ['policy'],
      registers,
    });
    this.degraded = new Counter({
      name: `${prefix}_degraded_total`,
      help: 'Requests decided without Redis, by the mode applied (open, local, closed).',
      labelNames: ['mode'],
      registers,
    });
    this.failOpen = new Counter({
      name: `${prefix}_fail_open_total`,
      help: 'Requests let through unchecked by at least one policy because Redis failed (failure mode open).',
      registers,
    });
    this.mode = new Gauge({
      name: `${prefix}_degraded`,
      help: '1 while the last rate-limit decision could not use Redis (failure modes in force), else 0.',
      registers,
    });
  }

  /** The counters of one policy, bound on first use (policy names are few and fixed per policy set). */
  policy(name: string): PolicyCounters {
    let counters = this.#byPolicy.get(name);
    if (!counters) {
      const outcome = (o: PolicyOutcomeLabel) => this.decisions.bind({ policy: name, outcome: o });
      counters = {
        decisions: {
          allowed: outcome('allowed'),
          limited: outcome('limited'),
          shadow: outcome('shadow'),
          degraded: outcome('degraded'),
        },
        nearLimit: this.nearLimit.bind({ policy: name }),
        denyCacheHits: this.denyCacheHits.bind({ policy: name }),
      };
      this.#byPolicy.set(name, counters);
    }
    return counters;
  }
}
