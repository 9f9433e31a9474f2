import { Counter, type CounterConfiguration, type LabelValues } from 'prom-client';

/** One label set of a {@link BoundCounter}: `inc` is a plain addition. */
export interface CounterChild {
  inc(value?: number): void;
}

interface Child<L extends string> extends CounterChild {
  readonly labels: LabelValues<L>;
  pending: number;
}

/**
 * A prom-client counter for hot paths. prom-client hashes and validates the label set on every `inc`, even
 * through `labels()`, which cost a cache hit ~20 % of its CPU here; a child bound here once is a number
 * that is added to, and the totals are handed to prom-client when the registry is collected (scrape,
 * `registry.metrics()`), so every scrape still sees exact values. Binding a child creates its series at 0.
 */
export class BoundCounter<L extends string = string> {
  readonly counter: Counter<L>;
  readonly #children: Child<L>[] = [];

  constructor(config: Omit<CounterConfiguration<L>, 'collect'>) {
    const flush = () => this.#flush();
    this.counter = new Counter<L>({
      ...config,
      collect() {
        flush();
      },
    });
  }

  /** The child for `labels`; bind once (at construction of the caller), increment on the hot path. */
  bind(labels: LabelValues<L>): CounterChild {
    this.counter.inc(labels, 0);
    const child: Child<L> = {
      labels,
      pending: 0,
      inc(value = 1) {
        if (!(value >= 0) || !Number.isFinite(value))
          throw new TypeError(`counter increment must be a finite number >= 0, got ${value}`);
        child.pending += value;
      },
    };
    this.#children.push(child);
    return child;
  }

  #flush(): void {
    for (const child of this.#children) {
      if (child.pending === 0) continue;
      this.counter.inc(child.labels, child.pending);
      child.pending = 0;
    }
  }
}
