import type { ReceivedSpan } from '@redwire/testing';

/** Spans indexed for walking parent and link relations across services and traces. */
export class SpanGraph {
  readonly #byId = new Map<string, ReceivedSpan>();
  readonly #children = new Map<string, ReceivedSpan[]>();
  readonly #linkedFrom = new Map<string, ReceivedSpan[]>();

  constructor(spans: readonly ReceivedSpan[]) {
    for (const span of spans) {
      this.#byId.set(span.spanId, span);
      if (span.parentSpanId) push(this.#children, span.parentSpanId, span);
      for (const link of span.links) push(this.#linkedFrom, link.spanId, span);
    }
  }

  get(spanId: string): ReceivedSpan | undefined {
    return this.#byId.get(spanId);
  }

  /** The span's ancestors, nearest first (as far as they were received). */
  ancestors(span: ReceivedSpan): ReceivedSpan[] {
    const chain: ReceivedSpan[] = [];
    for (let parent = this.get(span.parentSpanId); parent; parent = this.get(parent.parentSpanId)) {
      chain.push(parent);
    }
    return chain;
  }

  /** Whether `span` descends from `ancestor` through parent relations only. */
  descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan): boolean {
    return this.ancestors(span).some((a) => a.spanId === ancestor.spanId);
  }

  /**
   * Every span reachable from `root` by following children and links (a span that links to a reached
   * span is reached: a consumer's link to the producer), in any trace.
   */
  reachableFrom(root: ReceivedSpan): ReceivedSpan[] {
    const reached = new Map<string, ReceivedSpan>([[root.spanId, root]]);
    const queue = [root];
    for (let span = queue.shift(); span; span = queue.shift()) {
      const next = [...(this.#children.get(span.spanId) ?? []), ...(this.#linkedFrom.get(span.spanId) ?? [])];
      for (const candidate of next) {
        if (reached.has(candidate.spanId)) continue;
        reached.set(candidate.spanId, candidate);
        queue.push(candidate);
      }
    }
    return [...reached.values()];
  }

  /** An indented tree of the spans reachable from `root`, for failure messages. */
  describe(root: ReceivedSpan): string {
    const lines: string[] = [];
    const walk = (span: ReceivedSpan, depth: number, via: string) => {
      lines.push(
        `${'  '.repeat(depth)}${via}${span.serviceName} ${span.kind} "${span.name}" [${span.scope}]`,
      );
      if (depth > 30) return;
      for (const child of this.#children.get(span.spanId) ?? []) walk(child, depth + 1, '');
      for (const linked of this.#linkedFrom.get(span.spanId) ?? []) {
        if (linked.parentSpanId !== span.spanId) walk(linked, depth + 1, 'link← ');
      }
    };
    walk(root, 0, '');
    return lines.join('\n');
  }
}

function push(map: Map<string, ReceivedSpan[]>, key: string, span: ReceivedSpan): void {
  const list = map.get(key);
  if (list) list.push(span);
  else map.set(key, [span]);
}
