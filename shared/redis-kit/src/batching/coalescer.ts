import { runOutsideDeadline, withinRequestDeadline } from '@redwire/deadline';

/** Options of {@link Coalescer}. */
export interface CoalescerOptions<I, R> {
  /** Sends one batch; resolves to one result per item, in the items' order. */
  readonly send: (items: readonly I[]) => Promise<readonly R[]>;
  /** Most items in one batch; a batch that fills up is sent at once. 1 sends every item alone. @default 16 */
  readonly maxBatch?: number;
}

interface Waiting<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers the calls made within one event-loop turn into batches, so N concurrent requests cost one round
 * trip instead of N (the idea behind Envoy ratelimit's `REDIS_PIPELINE_WINDOW`/`REDIS_PIPELINE_LIMIT`, with
 * the window being the rest of the current turn). A batch leaves on `setImmediate`, i.e. after the I/O
 * callbacks of this turn have had their say, or as soon as it holds `maxBatch` items; an idle process
 * therefore sends a lone call right away, adding no timer delay. Bounding the batch keeps several batches
 * in flight, so Node and Redis work in parallel instead of taking turns.
 */
export class Coalescer<I, R> {
  readonly maxBatch: number;
  readonly #send: (items: readonly I[]) => Promise<readonly R[]>;
  #queue: Waiting<I, R>[] = [];
  /** A setImmediate flush is pending (one per turn, not one per batch). */
  #scheduled = false;

  constructor(options: CoalescerOptions<I, R>) {
    this.maxBatch = options.maxBatch ?? 16;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new Error('maxBatch must be an integer >= 1');
    this.#send = options.send;
  }

  /**
   * Resolves with this item's result, or rejects with the error of its whole batch. A caller serving a
   * request stops waiting when its own deadline passes (`@redwire/deadline`); the batch itself is sent
   * outside any request's deadline, since several requests share it, and is bounded by its client's
   * command timeout.
   */
  submit(item: I): Promise<R> {
    return withinRequestDeadline(this.#enqueue(item));
  }

  #enqueue(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
      this.#queue.push({ item, resolve, reject });
      if (this.#queue.length >= this.maxBatch) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let sent: Promise<readonly R[]>;
    try {
      sent = runOutsideDeadline(() => this.#send(batch.map((w) => w.item)));
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (results) => {
        if (results.length !== batch.length) {
          const error = new Error(`a batch of ${batch.length} got ${results.length} results`);
          for (const w of batch) w.reject(error);
          return;
        }
        batch.forEach((w, i) => {
          w.resolve(results[i] as R);
        });
      },
      (error: unknown) => {
        for (const w of batch) w.reject(error);
      },
    );
  }
}
