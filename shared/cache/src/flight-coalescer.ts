interface Flight<V> {
  promise: Promise<V>;
}

interface Slot<V> {
  running?: Flight<V> | undefined;
  pending?: Flight<V> | undefined;
}

/**
 * Per-key single flight that never hands a caller a result read before that caller arrived.
 *
 * A plain single-flight map lets a request that starts after a write was acknowledged join a load that
 * read the row before the write: a stale read. Here a caller only joins a flight that has not started
 * yet; while one runs, newcomers gather in one pending flight that starts when the running one settles.
 * So at most two flights per key exist, the second usually answering from the cache the first filled,
 * and every result was read after each of its callers arrived.
 */
export class FlightCoalescer<V> {
  readonly #slots = new Map<string, Slot<V>>();

  /** Runs `work` for `key`, or joins the not-yet-started flight for `key`. */
  run(key: string, work: () => Promise<V>): Promise<V> {
    let slot = this.#slots.get(key);
    if (!slot) {
      slot = {};
      this.#slots.set(key, slot);
    }
    if (slot.pending) return slot.pending.promise;
    if (!slot.running) return this.#start(key, slot, work);

    const after = slot.running.promise.then(
      () => undefined,
      () => undefined,
    );
    const pending: Flight<V> = {
      promise: after.then(() => {
        // The running flight settled: this one becomes the running one and stops taking joiners.
        const current = this.#slots.get(key);
        if (current) {
          current.pending = undefined;
          current.running = pending;
        }
        return work();
      }),
    };
    slot.pending = pending;
    void pending.promise.then(
      () => this.#settle(key, pending),
      () => this.#settle(key, pending),
    );
    return pending.promise;
  }

  /** Keys with a flight running or pending (for tests and gauges). */
  get size(): number {
    return this.#slots.size;
  }

  #start(key: string, slot: Slot<V>, work: () => Promise<V>): Promise<V> {
    const flight: Flight<V> = { promise: Promise.resolve().then(work) };
    slot.running = flight;
    void flight.promise.then(
      () => this.#settle(key, flight),
      () => this.#settle(key, flight),
    );
    return flight.promise;
  }

  #settle(key: string, flight: Flight<V>): void {
    const slot = this.#slots.get(key);
    if (!slot) return;
    if (slot.running === flight) slot.running = undefined;
    if (!slot.running && !slot.pending) this.#slots.delete(key);
  }
}
