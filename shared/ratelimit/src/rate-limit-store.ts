import {
  Coalescer,
  DeadlineExceededError,
  keySlot,
  type RedisClient,
  runScript,
  type ScriptDefinition,
  withDeadline,
} from '@redwire/redis-kit';
import type { CheckResult, CheckStatus } from './algorithms';
import { decideScript, refundScript } from './limiter-scripts';
import type { PolicyCheck } from './policy';
import type { RateLimitKeys } from './rate-limit-keys';
import { localClockUs, RedisClockEstimate } from './redis-clock';

/** Options of {@link RateLimitStore}. */
export interface RateLimitStoreOptions {
  /** A request-path client (single node or cluster): no offline queue, never re-sends. */
  readonly redis: RedisClient;
  readonly keys: RateLimitKeys;
  /** Deadline of one decision, in ms, from the moment its script call is sent (cluster: including a rollback). */
  readonly deadlineMs: number;
  /**
   * Most decisions sent in one script call (those arriving within one event-loop turn are coalesced); 1
   * sends each decision alone. On a cluster a call holds one hash slot's identity groups only.
   */
  readonly maxBatch: number;
}

/** What Redis decided for one call. */
export interface StoreDecision {
  /** Every non-shadow policy allowed, and its quota was spent. */
  readonly admitted: boolean;
  /** The Redis time (µs) the decision used; on a cluster, the first slot group's node. */
  readonly timeUs: number;
  /** One result per check, in the order of the checks. */
  readonly results: readonly CheckResult[];
  /** Script calls this decision took part in: 1 on a single node, one per identity group (+ refunds) on a cluster; each shared with its batch. */
  readonly calls: number;
}

/** Redis did not answer within the deadline, or failed; the caller applies each policy's failure mode. */
export class RateLimitStoreError extends Error {
  override name = 'RateLimitStoreError';
  constructor(
    message: string,
    readonly kind: 'timeout' | 'error',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const STATUS: readonly CheckStatus[] = ['allowed', 'denied', 'unsatisfiable'];

interface Group {
  readonly indexes: number[];
}

/** Cluster: one identity's checks of one call, waiting for its slot's script call. */
interface SlotGroup {
  readonly slot: number;
  readonly checks: readonly PolicyCheck[];
}

/**
 * Evaluates a call's policies in Redis (internal; `RateLimiter` is the public face). On a single node (or
 * Sentinel) a call is decided by one EVALSHA of decide-N.lua, atomic and all-or-nothing; the calls that
 * arrive within one event-loop turn share that script call (see {@link Coalescer}), each still decided on
 * its own. On a Redis Cluster a call's keys may belong to different identities (a user, an IP, a global
 * key), which cannot share a slot without funnelling every identity into one slot; keys of one identity do
 * share a slot (`{identity}` hash tag), each identity's group is decided atomically and in parallel, and
 * the groups that admitted are refunded when another group denied (reserve-then-rollback; see the README
 * for what that does and does not guarantee). The identity groups of one turn that fall in the same slot
 * (the same identity, a global key) share one script call, as on a single node.
 */
export class RateLimitStore {
  readonly deadlineMs: number;
  readonly #keys: RateLimitKeys;
  readonly #redis: RedisClient;
  readonly #batches: Coalescer<readonly PolicyCheck[], StoreDecision> | undefined;
  readonly #slotBatches: Coalescer<SlotGroup, StoreDecision> | undefined;
  /** The server's clock (single node), or each slot's node's clock (cluster), for the calls' not-after bound. */
  readonly #clock = new RedisClockEstimate();
  readonly #slotClocks = new Map<number, RedisClockEstimate>();

  constructor(options: RateLimitStoreOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.deadlineMs = options.deadlineMs;
    this.#batches = options.redis.isCluster
      ? undefined
      : new Coalescer({
          maxBatch: options.maxBatch,
          send: (batch) => this.#withDeadline(() => this.#decideBatch(batch)),
        });
    // Under the deadline of each call that waits for it (decide), as the uncoalesced cluster path was.
    this.#slotBatches = options.redis.isCluster
      ? new Coalescer({
          maxBatch: options.maxBatch,
          groupOf: (group) => group.slot,
          send: (batch) => this.#decideSlotBatch(batch),
        })
      : undefined;
  }

  /** The state key of one policy for one identity: no timestamp, and the identity is the hash tag. */
  key(check: PolicyCheck): string {
    return this.#keys.state(check.identity, check.policy.name);
  }

  /** Decides within the deadline or throws {@link RateLimitStoreError}. Never retries a decision. */
  decide(checks: readonly PolicyCheck[]): Promise<StoreDecision> {
    if (this.#batches) return this.#batches.submit(checks);
    return this.#withDeadline((expired) => this.#decideByIdentity(checks, expired));
  }

  /** Runs `work` under the deadline; every failure becomes a {@link RateLimitStoreError}. */
  async #withDeadline<T>(work: (expired: () => boolean) => Promise<T>): Promise<T> {
    let expired = false;
    try {
      return await withDeadline(
        work(() => expired),
        this.deadlineMs,
      );
    } catch (error) {
      if (error instanceof DeadlineExceededError) {
        // Work still running (a cluster refund) sees this and stops.
        expired = true;
        throw new RateLimitStoreError(`no rate-limit decision within ${this.deadlineMs} ms`, 'timeout');
      }
      throw new RateLimitStoreError('rate-limit decision failed', 'error', { cause: error });
    }
  }

  /** Single node: every call of the batch in one script call. */
  async #decideBatch(batch: readonly (readonly PolicyCheck[])[]): Promise<StoreDecision[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [batch.length, 0];
    for (const checks of batch) this.#encode(checks, keys, args);
    return this.#decideCall(
      this.#clock,
      keys,
      args,
      batch.map((checks) => checks.length),
    );
  }

  /** Cluster: the identity groups of one slot, each decided on its own, in one script call. */
  #decideSlotBatch(batch: readonly SlotGroup[]): Promise<StoreDecision[]> {
    const keys: string[] = [];
    const args: (string | number)[] = [batch.length, 0];
    for (const group of batch) this.#encode(group.checks, keys, args);
    return this.#decideCall(
      this.#clockOfSlot((batch[0] as SlotGroup).slot),
      keys,
      args,
      batch.map((group) => group.checks.length),
    );
  }

  /**
   * One decide-N.lua call bounded by its not-after time (`args[1]`, filled in here), so that Redis spends
   * nothing for it once this store has stopped waiting. A reply that says "expired" yet came back within the
   * deadline means the clock estimate was off (a failover to another server, a clock step): the estimate
   * is corrected from that reply and this one call is answered by the failure modes.
   */
  async #decideCall(
    clock: RedisClockEstimate,
    keys: string[],
    args: (string | number)[],
    counts: readonly number[],
  ): Promise<StoreDecision[]> {
    const sentUs = localClockUs();
    args[1] = clock.notAfterUs(sentUs, this.deadlineMs);
    const reply = await this.#eval(decideScript, keys, args);
    const receivedUs = localClockUs();
    const parsed = parseDecide(reply, counts);
    // Only a reply within the deadline teaches the clock: a late one's round trip is mostly the stall.
    if (receivedUs - sentUs <= this.deadlineMs * 1000) clock.observe(sentUs, receivedUs, parsed.timeUs);
    if (parsed.expired) {
      throw new RateLimitStoreError('rate-limit decision reached Redis after its deadline', 'timeout');
    }
    return parsed.decisions;
  }

  /**
   * Cluster: one decision per identity (slot), in parallel, each sharing its slot's script call of this
   * turn; a deny anywhere refunds the others.
   */
  async #decideByIdentity(checks: readonly PolicyCheck[], expired: () => boolean): Promise<StoreDecision> {
    const groups = this.#groups(checks);
    const slotBatches = this.#slotBatches as Coalescer<SlotGroup, StoreDecision>;
    const parsed = await Promise.all(
      groups.map((group) => {
        const own = group.indexes.map((i) => checks[i] as PolicyCheck);
        return slotBatches.submit({ slot: keySlot(this.key(own[0] as PolicyCheck)), checks: own });
      }),
    );
    const results: CheckResult[] = new Array(checks.length);
    parsed.forEach((p, gi) => {
      (groups[gi] as Group).indexes.forEach((ci, j) => {
        results[ci] = p.results[j] as CheckResult;
      });
    });
    const admitted = parsed.every((p) => p.admitted);
    let calls = groups.length;
    if (!admitted && groups.length > 1 && !expired()) {
      const refunds = parsed.flatMap((p, gi) =>
        p.admitted ? [this.#refund(groups[gi] as Group, checks, results, p.timeUs)] : [],
      );
      calls += refunds.length;
      await Promise.all(refunds);
    }
    return { admitted, timeUs: parsed[0]?.timeUs ?? 0, results, calls };
  }

  /** Cluster: slots live on different nodes, whose clocks may differ, so each slot's clock is learnt apart. */
  #clockOfSlot(slot: number): RedisClockEstimate {
    let clock = this.#slotClocks.get(slot);
    if (!clock) {
      clock = new RedisClockEstimate();
      this.#slotClocks.set(slot, clock);
    }
    return clock;
  }

  #groups(checks: readonly PolicyCheck[]): Group[] {
    const byIdentity = new Map<string, Group>();
    checks.forEach((check, i) => {
      const group = byIdentity.get(check.identity) ?? { indexes: [] };
      group.indexes.push(i);
      byIdentity.set(check.identity, group);
    });
    return [...byIdentity.values()];
  }

  /** Appends one call's keys and its `n, (algorithm, p1, p2, cost, shadow) × n` to a decide-N.lua call. */
  #encode(checks: readonly PolicyCheck[], keys: string[], args: (string | number)[]): void {
    args.push(checks.length);
    for (const check of checks) {
      const { policy } = check;
      const [code, p1, p2] = policy.scriptArgs;
      keys.push(this.key(check));
      args.push(code, p1, p2, check.cost, policy.spec.shadow ? '1' : '0');
    }
  }

  /** Gives back a group's reservation and reports its policies' state afterwards, as decide-N.lua does for a deny. */
  async #refund(group: Group, checks: readonly PolicyCheck[], results: CheckResult[], reservedAt: number) {
    const keys: string[] = [];
    const args: (string | number)[] = [reservedAt];
    for (const i of group.indexes) {
      const check = checks[i] as PolicyCheck;
      const spent = results[i]?.status === 'allowed' ? check.cost : 0;
      keys.push(this.key(check));
      args.push(check.policy.algorithm.code, check.policy.p1, check.policy.p2, spent);
    }
    const reply = await this.#eval(refundScript, keys, args);
    if (!Array.isArray(reply) || reply.length !== group.indexes.length * 2) {
      throw new RateLimitStoreError('malformed reply from refund-N.lua', 'error');
    }
    group.indexes.forEach((ci, j) => {
      const before = results[ci] as CheckResult;
      results[ci] = {
        status: before.status,
        remaining: Number(reply[j * 2]),
        waitUs: Number(reply[j * 2 + 1]),
      };
    });
  }

  /**
   * EVALSHA (EVAL only on NOSCRIPT, never a replay). A single node's batch spans many identities' slots; a
   * cluster's keeps to one, which runScript checks.
   */
  #eval(script: ScriptDefinition, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.#redis, script, keys, args, this.#batches ? { crossSlot: 'single-node' } : {});
  }
}

/** decide-N.lua's reply: the Redis time it read, and one decision per request unless the call had expired. */
interface ParsedDecide {
  readonly timeUs: number;
  readonly expired: boolean;
  readonly decisions: StoreDecision[];
}

/** Turns decide-N.lua's reply into one decision per request of the call (`counts[r]` policies each). */
function parseDecide(reply: unknown, counts: readonly number[]): ParsedDecide {
  if (!Array.isArray(reply) || reply.length < 3) {
    throw new RateLimitStoreError('malformed reply from decide-N.lua', 'error');
  }
  const timeUs = Number(reply[0]) * 1_000_000 + Number(reply[1]);
  if (reply[2] === 1 && reply.length === 3) return { timeUs, expired: true, decisions: [] };
  const expected = counts.reduce((sum, n) => sum + 1 + n * 3, 3);
  if (reply[2] !== 0 || reply.length !== expected) {
    throw new RateLimitStoreError('malformed reply from decide-N.lua', 'error');
  }
  let at = 3;
  const decisions = counts.map((count) => {
    const admitted = reply[at] === 1;
    const results: CheckResult[] = [];
    for (let j = 0; j < count; j++) {
      const b = at + 1 + j * 3;
      results.push({
        status: STATUS[Number(reply[b])] ?? 'denied',
        remaining: Number(reply[b + 1]),
        waitUs: Number(reply[b + 2]),
      });
    }
    at += 1 + count * 3;
    return { admitted, timeUs, results, calls: 1 };
  });
  return { timeUs, expired: false, decisions };
}
