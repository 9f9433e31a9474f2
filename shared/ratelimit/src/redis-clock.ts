/**
 * Why this exists: a decision the store has given up on (its deadline passed while Redis was frozen, paused
 * or slow) is still in the socket, and Redis runs it when it wakes up. Without a bound, a 4 s stall replays
 * 4 s of requests into the current window at once and honest clients are refused for the next period,
 * for requests that were already answered by the failure mode. So each script call carries the Redis time
 * after which nobody waits for it, and the script spends nothing past that time.
 *
 * Redis time is not local time (another host, another clock), so the bound comes from an estimate of the
 * server's clock, learnt from the TIME every decide-N.lua reply reports: offset = redis time − midpoint of
 * the round trip, uncertain by half the round trip. Local time is `performance` time (monotonic, so a wall
 * clock step on this host cannot shrink a bound).
 */

/** Added to every bound on top of the estimate's own uncertainty: timer and scheduling noise. */
const SLACK_US = 5_000;

/** Local monotonic time in microseconds since the epoch (sub-millisecond precision). */
export function localClockUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** One Redis server's clock as seen from this process (one per cluster slot, since slots live on different nodes). */
export class RedisClockEstimate {
  #offsetUs: number | undefined;
  #uncertaintyUs = 0;

  /** Learns from a reply sent at `sentUs` and received at `receivedUs` (local) whose script read `redisUs`. */
  observe(sentUs: number, receivedUs: number, redisUs: number): void {
    const halfTrip = Math.max(0, receivedUs - sentUs) / 2;
    this.#offsetUs = redisUs - (sentUs + halfTrip);
    this.#uncertaintyUs = halfTrip;
  }

  /**
   * The last Redis time (µs) at which a call sent at `sentUs` with a `budgetMs` deadline is still awaited,
   * generous by the estimate's uncertainty; 0 (no bound) until a reply has been seen.
   */
  notAfterUs(sentUs: number, budgetMs: number): number {
    if (this.#offsetUs === undefined) return 0;
    return Math.ceil(sentUs + this.#offsetUs + budgetMs * 1000 + this.#uncertaintyUs + SLACK_US);
  }
}
