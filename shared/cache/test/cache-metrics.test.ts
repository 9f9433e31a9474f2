import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCacheMetrics } from '../src/index';

/** The value of `series` (a histogram's `<name>_sum` or `_count`, or the metric itself) with `labels`. */
async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
  series = name,
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const found = metric?.values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === series &&
      Object.entries(labels).every(([k, want]) => v.labels[k] === want),
  );
  return found?.value ?? Number.NaN;
}

describe('createCacheMetrics', () => {
  it('when events are reported, then the series count them under the prefix, with the fixed labels', async () => {
    const registry = new Registry();
    const metrics = createCacheMetrics({ registry, prefix: 'shop_cache', labels: { cache: 'product' } });
    metrics.request('l2', 'hit');
    metrics.request('l2', 'hit');
    metrics.fill('too_large');
    metrics.invalidation('sync', 'failed');
    metrics.invalidationLag('event', 0.02);
    metrics.gateState('recovering');
    expect(
      await sample(registry, 'shop_cache_requests_total', { cache: 'product', tier: 'l2', result: 'hit' }),
    ).toBe(2);
    expect(await sample(registry, 'shop_cache_requests_total', { tier: 'l1', result: 'miss' })).toBe(0);
    expect(await sample(registry, 'shop_cache_fills_total', { cache: 'product', outcome: 'too_large' })).toBe(
      1,
    );
    expect(
      await sample(registry, 'shop_cache_invalidations_total', { path: 'sync', outcome: 'failed' }),
    ).toBe(1);
    const lag = (series: string) =>
      sample(registry, 'shop_cache_invalidation_lag_seconds', { path: 'event' }, series);
    expect(await lag('shop_cache_invalidation_lag_seconds_count')).toBe(1);
    expect(await lag('shop_cache_invalidation_lag_seconds_sum')).toBeCloseTo(0.02);
    expect(await sample(registry, 'shop_cache_breaker_state', { state: 'recovering' })).toBe(1);
    expect(await sample(registry, 'shop_cache_breaker_state', { state: 'closed' })).toBe(0);
  });

  it('when two caches share a registry and a prefix, then they share the series, told apart by their labels', async () => {
    const registry = new Registry();
    const products = createCacheMetrics({ registry, labels: { cache: 'product' } });
    const orders = createCacheMetrics({ registry, labels: { cache: 'order' } });
    products.request('l1', 'hit');
    orders.request('l1', 'hit');
    orders.request('l1', 'hit');
    expect(
      await sample(registry, 'redwire_cache_requests_total', { cache: 'product', tier: 'l1', result: 'hit' }),
    ).toBe(1);
    expect(
      await sample(registry, 'redwire_cache_requests_total', { cache: 'order', tier: 'l1', result: 'hit' }),
    ).toBe(2);
  });
});
