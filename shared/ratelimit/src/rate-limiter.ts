import { CircuitBreaker } from '@redwire/redis-kit';
import type { CheckResult } from './algorithms';
import { DenyCache } from './deny-cache';
import { LocalLimiter } from './local-limiter';
import { type CompiledPolicy, compilePolicy, type Policy, type PolicyCheck } from './policy';
import { decision, type RateLimitDecision, type Verdict } from './rate-limit-decision';
import { RateLimitKeys } from './rate-limit-keys';
import { RateLimitMetrics } from './rate-limit-metrics';
import { RateLimitStore } from './rate-limit-store';
import { type RateLimiterOptions, resolveRateLimiterOptions } from './rate-limiter.options';

/**
 * Whom a call is about: one key for every policy of the limiter, or policy name → key for the policies to
 * evaluate, each for its own key (`{ 'per-user': userId, 'per-ip': address }`), decided all-or-nothing.
 */
export type RateLimitKey = string | Readonly<Record<string, string>>;

/** Options of one {@link RateLimiter.limit} call. */
export interface LimitOptions {
  /** Units this call spends on every policy it evaluates; 0 only reads. @default each policy's `cost` (1) */
  readonly cost?: number;
}

const MAX_COST = 1_000_000;

/**
 * A Redis rate limiter over one or more policies. `limit(key)` decides a call against every policy (or
 * the ones named), all-or-nothing: a call one policy refuses spends nothing on the others. A remembered
 * deny answers without Redis; otherwise one script call decides within the deadline (calls of one
 * event-loop turn share it); when Redis fails, each policy's `onRedisError` decides. `limit` never
 * rejects because of Redis, only for a bad argument.
 *
 * @example
 * const limiter = new RateLimiter({ redis, policies: [{ name: 'api', limit: 10, period: 1 }] });
 * const decision = await limiter.limit(apiKey);
 * if (!decision.allowed) return tooManyRequests(decision.retryAfterMs);
 */
export class RateLimiter {
  /** The policies, validated and with their defaults applied, in declaration order. */
  readonly policies: readonly Policy[];
  readonly #compiled: readonly CompiledPolicy[];
  readonly #byName: ReadonlyMap<string, CompiledPolicy>;
  readonly #keys: RateLimitKeys;
  readonly #store: RateLimitStore;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #denies: DenyCache | undefined;
  readonly #local: LocalLimiter;
  readonly #clock: () => number;
  readonly #metrics: RateLimitMetrics | undefined;

  /** Validates every option (throws one InvalidOptionsError listing each problem) and applies the defaults. */
  constructor(options: RateLimiterOptions) {
    const o = resolveRateLimiterOptions(options);
    this.#compiled = o.policies.map(compilePolicy);
    this.policies = this.#compiled.map((p) => p.spec);
    this.#byName = new Map(this.#compiled.map((p) => [p.name, p]));
    this.#keys = new RateLimitKeys(o.prefix);
    this.#store = new RateLimitStore({
      redis: o.redis,
      keys: this.#keys,
      deadlineMs: o.deadlineMs,
      maxBatch: o.maxBatch,
    });
    this.#breaker =
      o.breaker === false ? undefined : new CircuitBreaker({ ...o.breaker, registry: o.registry });
    this.#clock = o.clock ?? (() => performance.now());
    this.#metrics = o.registry ? new RateLimitMetrics(o.registry, o.metricPrefix) : undefined;
    this.#denies =
      o.denyCacheSize === 0 ? undefined : new DenyCache({ maxEntries: o.denyCacheSize, clock: this.#clock });
    this.#local = new LocalLimiter({
      instances: o.instances,
      maxEntries: o.localMaxEntries,
      clock: this.#clock,
    });
  }

  /**
   * Decides one call. Rejects only for a bad argument: a key that is not a non-empty string, a policy name
   * the limiter does not have, a cost that is not an integer from 0 to 1,000,000.
   */
  async limit(key: RateLimitKey, options?: LimitOptions): Promise<RateLimitDecision> {
    return this.#decide(this.#checks(key, options?.cost));
  }

  /** The Redis key holding `policy`'s state for `key` (to inspect it: TTL, MEMORY USAGE). */
  keyOf(policy: string, key: string): string {
    if (!this.#byName.has(policy)) throw new RangeError(`no rate-limit policy named "${policy}"`);
    return this.#keys.state(this.#keys.identity(key), policy);
  }

  /** Stops the breaker's timer. The Redis client is the caller's to close. */
  close(): void {
    this.#breaker?.shutdown();
  }

  #checks(key: RateLimitKey, cost: number | undefined): PolicyCheck[] {
    if (cost !== undefined && !(Number.isInteger(cost) && cost >= 0 && cost <= MAX_COST)) {
      throw new RangeError(`a rate-limit cost must be an integer from 0 to ${MAX_COST}, got ${cost}`);
    }
    if (typeof key === 'string') {
      const identity = this.#keys.identity(key);
      return this.#compiled.map((policy) => ({ policy, key, identity, cost: cost ?? policy.spec.cost }));
    }
    if (typeof key !== 'object' || key === null) {
      throw new TypeError('a rate-limit key must be a string or an object of policy name → key');
    }
    for (const name in key) {
      if (!this.#byName.has(name)) throw new RangeError(`no rate-limit policy named "${name}"`);
    }
    const checks: PolicyCheck[] = [];
    let lastKey: string | undefined;
    let lastIdentity = '';
    for (const policy of this.#compiled) {
      const k = key[policy.name];
      if (k === undefined) continue;
      // One identity is usually named by several policies: encode it once.
      if (k !== lastKey) {
        lastIdentity = this.#keys.identity(k);
        lastKey = k;
      }
      checks.push({ policy, key: k, identity: lastIdentity, cost: cost ?? policy.spec.cost });
    }
    return checks;
  }

  async #decide(checks: readonly PolicyCheck[]): Promise<RateLimitDecision> {
    if (checks.length === 0) return decision('allowed', 'redis', []);
    const cached = this.#fromDenyCache(checks);
    if (cached) return cached;

    const sentAt = this.#clock();
    const started = performance.now();
    try {
      const stored = await (this.#breaker
        ? this.#breaker.run(() => this.#store.decide(checks))
        : this.#store.decide(checks));
      this.#metrics?.redisOk.observe((performance.now() - started) / 1000);
      this.#metrics?.mode.set(0);
      const verdicts = checks.map((check, i) => ({ check, result: stored.results[i] as CheckResult }));
      for (const { check, result } of verdicts) {
        if (result.status === 'denied' && !check.policy.spec.shadow) {
          this.#denies?.remember(check, sentAt, result.waitUs, result.remaining);
        }
      }
      this.#count(verdicts, stored.admitted);
      return decision(stored.admitted ? 'allowed' : 'limited', 'redis', verdicts, stored.timeUs);
    } catch (error) {
      const kind = (error as { kind?: string }).kind === 'timeout' ? 'timeout' : 'error';
      this.#metrics?.redisSeconds.observe({ result: kind }, (performance.now() - started) / 1000);
      this.#metrics?.mode.set(1);
      return this.#degraded(checks);
    }
  }

  #fromDenyCache(checks: readonly PolicyCheck[]): RateLimitDecision | undefined {
    if (!this.#denies) return undefined;
    const verdicts: Verdict[] = [];
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
    return decision('limited', 'deny-cache', verdicts);
  }

  /** Redis failed: `closed` anywhere → unavailable; `local` policies decide in-process; `open` ones are skipped. */
  #degraded(checks: readonly PolicyCheck[]): RateLimitDecision {
    const enforced = checks.filter((c) => !c.policy.spec.shadow);
    const closed = enforced.filter((c) => c.policy.spec.onRedisError === 'closed');
    for (const check of enforced) this.#metrics?.policy(check.policy.name).decisions.degraded.inc();
    if (closed.length > 0) {
      this.#metrics?.degraded.inc({ mode: 'closed' });
      return {
        allowed: false,
        outcome: 'unavailable',
        source: 'degraded-closed',
        policies: [],
        violated: closed.map((c) => c.policy.name),
      };
    }
    const local = enforced.filter((c) => c.policy.spec.onRedisError === 'local');
    if (enforced.length > local.length) this.#metrics?.failOpen.inc();
    if (local.length === 0) {
      this.#metrics?.degraded.inc({ mode: 'open' });
      return decision('allowed', 'degraded-open', []);
    }
    this.#metrics?.degraded.inc({ mode: 'local' });
    const decided = this.#local.decide(local);
    const verdicts = local.map((check, i) => ({ check, result: decided.results[i] as CheckResult }));
    return decision(decided.admitted ? 'allowed' : 'limited', 'degraded-local', verdicts);
  }

  #count(verdicts: readonly Verdict[], admitted: boolean): void {
    const metrics = this.#metrics;
    if (!metrics) return;
    for (const { check, result } of verdicts) {
      const { spec } = check.policy;
      const refused = result.status !== 'allowed';
      const outcome = spec.shadow
        ? refused
          ? 'shadow'
          : 'allowed'
        : refused
          ? 'limited'
          : admitted
            ? 'allowed'
            : 'limited';
      // A policy that allowed a call another policy refused spent nothing: it is not counted as allowed.
      if (outcome === 'limited' && !refused) continue;
      const counters = metrics.policy(spec.name);
      counters.decisions[outcome].inc();
      if (outcome === 'allowed' && result.remaining <= spec.limit * 0.2) counters.nearLimit.inc();
    }
  }
}
