/** Counts of a fuzz run: requests by endpoint and by answer. */
export class FuzzReport {
  readonly #byEndpoint = new Map<string, Map<string, number>>();
  #total = 0;
  #stateChecks = 0;
  readonly #startedAt = performance.now();

  /** One request: `endpoint` = `<target> <route>`, `outcome` = a status, `no-response` or `unsendable`. */
  record(endpoint: string, outcome: string): void {
    this.#total++;
    let outcomes = this.#byEndpoint.get(endpoint);
    if (!outcomes) {
      outcomes = new Map();
      this.#byEndpoint.set(endpoint, outcomes);
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }

  /** `n` requests (reads, or a refused write) had the state compared before and after them. */
  stateChecked(n: number): void {
    this.#stateChecks += n;
  }

  get total(): number {
    return this.#total;
  }

  /** How many answers matched `predicate` (on the outcome string). */
  count(predicate: (outcome: string) => boolean): number {
    let n = 0;
    for (const outcomes of this.#byEndpoint.values()) {
      for (const [outcome, c] of outcomes) if (predicate(outcome)) n += c;
    }
    return n;
  }

  /** A plain-text table: one line per endpoint with its outcomes, then the totals. */
  format(title: string): string {
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const lines = [`${title}: ${this.#total} requests in ${seconds.toFixed(1)} s`];
    const width = Math.max(...[...this.#byEndpoint.keys()].map((k) => k.length), 10);
    for (const endpoint of [...this.#byEndpoint.keys()].sort()) {
      const outcomes = this.#byEndpoint.get(endpoint) ?? new Map<string, number>();
      const total = [...outcomes.values()].reduce((a, b) => a + b, 0);
      const detail = [...outcomes.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([outcome, n]) => `${outcome}×${n}`)
        .join(' ');
      lines.push(`  ${endpoint.padEnd(width)} ${String(total).padStart(6)}  ${detail}`);
    }
    const is5xx = (o: string) => /^5\d\d$/.test(o);
    const classes = ['2', '3', '4'].map((c) => `${c}xx ${this.count((o) => o.startsWith(c))}`).join(', ');
    lines.push(
      `  totals: ${classes}, 5xx ${this.count(is5xx)}, no response ${this.count((o) => o === 'no-response')}, ` +
        `unsendable ${this.count((o) => o === 'unsendable')}; state unchanged across ${this.#stateChecks} reads and refused writes`,
    );
    return lines.join('\n');
  }
}
