/**
 * Call and failure counts over the last `windowMs`, in `buckets` time slices: O(1) to record, O(buckets)
 * to sum, no timers.
 */
export class RollingWindow {
  private readonly calls: Uint32Array;
  private readonly failures: Uint32Array;
  private readonly bucketMs: number;
  /** Absolute index (time / bucketMs) of the newest bucket. */
  private head = 0;

  constructor(
    windowMs: number,
    private readonly buckets: number,
  ) {
    this.calls = new Uint32Array(buckets);
    this.failures = new Uint32Array(buckets);
    this.bucketMs = windowMs / buckets;
  }

  record(now: number, failed: boolean): void {
    const slot = this.advance(now);
    this.calls[slot] = (this.calls[slot] as number) + 1;
    if (failed) this.failures[slot] = (this.failures[slot] as number) + 1;
  }

  totals(now: number): { calls: number; failures: number } {
    this.advance(now);
    let calls = 0;
    let failures = 0;
    for (let i = 0; i < this.buckets; i++) {
      calls += this.calls[i] as number;
      failures += this.failures[i] as number;
    }
    return { calls, failures };
  }

  reset(): void {
    this.calls.fill(0);
    this.failures.fill(0);
  }

  /** Moves the head to `now`, zeroing the buckets that slid out of the window; returns the head's slot. */
  private advance(now: number): number {
    const index = Math.floor(now / this.bucketMs);
    if (index !== this.head) {
      const stale = Math.min(index - this.head, this.buckets);
      for (let i = 1; i <= stale; i++) {
        const slot = (this.head + i) % this.buckets;
        this.calls[slot] = 0;
        this.failures[slot] = 0;
      }
      this.head = index;
    }
    return index % this.buckets;
  }
}
