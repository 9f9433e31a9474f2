import { BoundCounter } from '@redwire/observability';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

describe('BoundCounter', () => {
  const setup = () => {
    const registry = new Registry();
    const counter = new BoundCounter({
      name: 'things_total',
      help: 'Things.',
      labelNames: ['kind'] as const,
      registers: [registry],
    });
    return { registry, counter };
  };

  it('when children are bound, then their series exist at 0 before any increment', async () => {
    const { registry, counter } = setup();
    counter.bind({ kind: 'a' });
    expect(await registry.metrics()).toContain('things_total{kind="a"} 0');
  });

  it('when children are incremented between scrapes, then every scrape shows the exact running totals', async () => {
    const { registry, counter } = setup();
    const a = counter.bind({ kind: 'a' });
    const b = counter.bind({ kind: 'b' });
    for (let i = 0; i < 1000; i++) a.inc();
    b.inc(2.5);
    let text = await registry.metrics();
    expect(text).toContain('things_total{kind="a"} 1000');
    expect(text).toContain('things_total{kind="b"} 2.5');
    a.inc(3);
    text = await registry.metrics();
    expect(text).toContain('things_total{kind="a"} 1003');
    expect(text).toContain('things_total{kind="b"} 2.5');
    // A direct read of the prom-client metric collects too.
    const values = (await counter.counter.get()).values;
    expect(values.find((v) => v.labels.kind === 'a')?.value).toBe(1003);
  });

  it('when an increment is negative or not a number, then it throws and the total is unchanged', async () => {
    const { registry, counter } = setup();
    const a = counter.bind({ kind: 'a' });
    a.inc();
    expect(() => a.inc(-1)).toThrow(TypeError);
    expect(() => a.inc(Number.NaN)).toThrow(TypeError);
    expect(await registry.metrics()).toContain('things_total{kind="a"} 1');
  });
});
