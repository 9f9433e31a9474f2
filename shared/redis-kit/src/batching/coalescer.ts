import { runOutsideDeadline, withinRequestDeadline } from '@redwire/deadline';

/** Options of {@link Coalescer}. */
export interface CoalescerOptions<I, R> {
  /** Sends one batch; resolves to one result per item, in the items' order. */
  readonly send: (items: readonly I[]) => Promise<readonly R[]>;
  /** Most items in one batch; a batch that fills up is sent at once. 1 sends every item alone. @default 16 */
  readonly maxBatch?: number;
  /**
   * Items of different groups never share a batch; each group fills its own (on a Redis Cluster: the hash
   * slot of the item's keys, since one script call or MGET may only touch one slot). @default one group
   */
  readonly groupOf?: (item: I) => number | string;
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
 * in flight, so Node and Redis work in parallel instead of taking turns. With `groupOf`, each group (a
 * Cluster hash slot) batches on its own and every group of the turn leaves at its end.
 */
export class Coalescer<I, R> {
  readonly maxBatch: number;
  readonly #send: (items: readonly I[]) => Promise<readonly R[]>;
  readonly #groupOf: ((item: I) => number | string) | undefined;
  /** The items waiting, per group (insertion order: the groups leave in the order they first appeared). */
  #queues = new Map<number | string, Waiting<I, R>[]>();
  /** A setImmediate flush is pending (one per turn, not one per batch). */
  #scheduled = false;

  constructor(options: CoalescerOptions<I, R>) {
    this.maxBatch = options.maxBatch ?? 16;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1)
      throw new Error('maxBatch must be an integer >= 1');
    this.#send = options.send;
    this.#groupOf = options.groupOf;
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
          const queues = this.#queues;
          this.#queues = new Map();
          for (const batch of queues.values()) this.#flush(batch);
        });
      }
      const group = this.#groupOf ? this.#groupOf(item) : 0;
      let queue = this.#queues.get(group);
      if (!queue) {
        queue = [];
        this.#queues.set(group, queue);
      }
      queue.push({ item, resolve, reject });
      if (queue.length >= this.maxBatch) {
        this.#queues.delete(group);
        this.#flush(queue);
      }
    });
  }

  #flush(batch: Waiting<I, R>[]): void {
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
