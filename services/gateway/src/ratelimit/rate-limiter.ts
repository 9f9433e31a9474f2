import type { CircuitBreaker } from '@redwire/redis-kit';
import type { CheckResult } from './algorithms';
import { DenyCache } from './deny-cache';
import { LocalLimiter } from './local-limiter';
import type { PolicyCheck } from './policy-set';
import type { RateLimitMetrics } from './ratelimit.metrics';
import type { RateLimitStore } from './ratelimit.store';

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  readonly store: RateLimitStore;
  /** Skips Redis while it keeps failing, so each request pays no deadline. @default none */
  readonly breaker?: CircuitBreaker;
  /** Remember denies in-process (false turns it off, e.g. for exact counting tests). @default { maxEntries: 10000 } */
  readonly denyCache?: { readonly maxEntries?: number } | false;
  /** Gateway instances; the `local` failure mode allows 1/instances of each policy. @default 1 */
  readonly instances?: number;
  /** Most identities the local fallback tracks. @default 10000 */
  readonly localMaxEntries?: number;
  /** Monotonic clock in ms, for the deny cache and the local limiter. @default performance.now */
  readonly clock?: () => number;
  /** @default none */
  readonly metrics?: RateLimitMetrics;
}

/** How a decision was reached. */
export type DecisionSource = 'redis' | 'deny-cache' | 'degraded-open' | 'degraded-local' | 'degraded-closed';

/** One evaluated policy of a decision. */
export interface PolicyVerdict {
  readonly check: PolicyCheck;
  readonly result: CheckResult;
}

/** What the gateway does with a request. */
export interface RateLimitDecision {
  /** `unavailable`: Redis failed and a `closed` policy applies → 503. */
  readonly outcome: 'allowed' | 'limited' | 'unavailable';
  readonly source: DecisionSource;
  /** The policies that were evaluated (not those skipped by a failure mode), in policy order. */
  readonly verdicts: readonly PolicyVerdict[];
  /** Names of the non-shadow policies that refused the request. */
  readonly violated: readonly string[];
  /** The Redis time (µs) a Redis decision used; for diagnostics and tests. */
  readonly redisTimeUs?: number;
}

const ALLOW_NONE: RateLimitDecision = { outcome: 'allowed', source: 'redis', verdicts: [], violated: [] };

/**
 * Decides a request: a remembered deny first (no Redis call), else one Redis decision under a deadline,
 * else each policy's failure mode (`open`, `closed`, `local`). Never throws.
 */
export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #denies: DenyCache | undefined;
  readonly #local: LocalLimiter;
  readonly #clock: () => number;
  readonly #metrics: RateLimitMetrics | undefined;

  constructor(options: RateLimiterOptions) {
    this.#store = options.store;
    this.#breaker = options.breaker;
    this.#clock = options.clock ?? (() => performance.now());
    this.#metrics = options.metrics;
    const denyCache = options.denyCache ?? {};
    this.#denies = denyCache === false ? undefined : new DenyCache({ ...denyCache, clock: this.#clock });
    this.#local = new LocalLimiter({
      instances: options.instances ?? 1,
      maxEntries: options.localMaxEntries ?? 10_000,
      clock: this.#clock,
    });
  }

  async decide(checks: readonly PolicyCheck[]): Promise<RateLimitDecision> {
    if (checks.length === 0) return ALLOW_NONE;
    const cached = this.#fromDenyCache(checks);
    if (cached) return cached;

    const sentAt = this.#clock();
    const started = performance.now();
    try {
      const decision = await (this.#breaker
        ? this.#breaker.run(() => this.#store.decide(checks))
        : this.#store.decide(checks));
      this.#metrics?.redisOk.observe((performance.now() - started) / 1000);
      this.#metrics?.mode.set(0);
      const verdicts = checks.map((check, i) => ({ check, result: decision.results[i] as CheckResult }));
      for (const { check, result } of verdicts) {
        if (result.status === 'denied' && !check.policy.spec.shadow) {
          this.#denies?.remember(check, sentAt, result.waitUs, result.remaining);
        }
      }
      this.#count(verdicts, decision.admitted);
      return {
        outcome: decision.admitted ? 'allowed' : 'limited',
        source: 'redis',
        verdicts,
        violated: violatedBy(verdicts),
        redisTimeUs: decision.timeUs,
      };
    } catch (error) {
      const kind = (error as { kind?: string }).kind === 'timeout' ? 'timeout' : 'error';
      this.#metrics?.redisSeconds.observe({ result: kind }, (performance.now() - started) / 1000);
      this.#metrics?.mode.set(1);
      return this.#degraded(checks);
    }
  }

  #fromDenyCache(checks: readonly PolicyCheck[]): RateLimitDecision | undefined {
    if (!this.#denies) return undefined;
    const verdicts: PolicyVerdict[] = [];
    for (const check of checks) {
      if (check.policy.spec.shadow || check.cost === 0) continue;
      const entry = this.#denies.get(check);
      if (!entry) continue;
      const waitUs = Math.ceil(this.#denies.leftMs(entry) * 1000);
      verdicts.push({ check, result: { status: 'denied', remaining: entry.remaining, waitUs } });
      const counters = this.#metrics?.policy(check.policy.name);
      counters?.denyCacheHits.inc();
      counters?.decisions.limited.inc();
    }
    if (verdicts.length === 0) return undefined;
    return { outcome: 'limited', source: 'deny-cache', verdicts, violated: violatedBy(verdicts) };
  }

  /** Redis failed: `closed` anywhere → 503; `local` policies decide in-process; `open` ones are skipped. */
  #degraded(checks: readonly PolicyCheck[]): RateLimitDecision {
    const enforced = checks.filter((c) => !c.policy.spec.shadow);
    const closed = enforced.filter((c) => c.policy.spec.onRedisError === 'closed');
    for (const check of enforced) this.#metrics?.policy(check.policy.name).decisions.degraded.inc();
    if (closed.length > 0) {
      this.#metrics?.degraded.inc({ mode: 'closed' });
      return {
        outcome: 'unavailable',
        source: 'degraded-closed',
        verdicts: [],
        violated: closed.map((c) => c.policy.name),
      };
    }
    const local = enforced.filter((c) => c.policy.spec.onRedisError === 'local');
    if (enforced.length > local.length) this.#metrics?.failOpen.inc();
    if (local.length === 0) {
      this.#metrics?.degraded.inc({ mode: 'open' });
      return { outcome: 'allowed', source: 'degraded-open', verdicts: [], violated: [] };
    }
    this.#metrics?.degraded.inc({ mode: 'local' });
    const decision = this.#local.decide(local);
    const verdicts = local.map((check, i) => ({ check, result: decision.results[i] as CheckResult }));
    return {
      outcome: decision.admitted ? 'allowed' : 'limited',
      source: 'degraded-local',
      verdicts,
      violated: violatedBy(verdicts),
    };
  }

  #count(verdicts: readonly PolicyVerdict[], admitted: boolean): void {
    const metrics = this.#metrics;
    if (!metrics) return;
    for (const { check, result } of verdicts) {
      const { policy } = check;
      const refused = result.status !== 'allowed';
      const outcome = policy.spec.shadow
        ? refused
          ? 'shadow'
          : 'allowed'
        : refused
          ? 'limited'
          : admitted
            ? 'allowed'
            : 'limited';
      // A policy that allowed a request another policy refused spent nothing: it is not counted as allowed.
      if (outcome === 'limited' && !refused) continue;
      const counters = metrics.policy(policy.name);
      counters.decisions[outcome].inc();
      if (outcome === 'allowed' && result.remaining <= policy.quota * 0.2) counters.nearLimit.inc();
    }
  }
}

function violatedBy(verdicts: readonly PolicyVerdict[]): string[] {
  return verdicts
    .filter(({ check, result }) => !check.policy.spec.shadow && result.status !== 'allowed')
    .map(({ check }) => check.policy.name);
}
