import { describe, expect, it } from 'vitest';
import { FlightCoalescer } from '../src/flight-coalescer';
import { L1Cache } from '../src/l1-cache';
import { deferred, type Item } from './support/item-store';

describe('FlightCoalescer', () => {
  it('when callers arrive while a flight runs, then they share one later flight, never the running one', async () => {
    const flights = new FlightCoalescer<number>();
    const first = deferred<number>();
    let started = 0;
    const a = flights.run('k', () => {
      started++;
      return first.promise;
    });
    // b and c arrive after a's work started: they must not get a's result.
    const b = flights.run('k', async () => {
      started++;
      return 2;
    });
    const c = flights.run('k', async () => 99);
    await Promise.resolve();
    expect(started).toBe(1);
    first.resolve(1);
    expect(await a).toBe(1);
    expect(await b).toBe(2);
    expect(await c).toBe(2);
    expect(started).toBe(2);
    expect(flights.size).toBe(0);
  });

  it('when a flight fails, then its callers see the error and the next flight still runs', async () => {
    const flights = new FlightCoalescer<number>();
    const failing = flights.run('k', async () => {
      throw new Error('boom');
    });
    const next = flights.run('k', async () => 7);
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe(7);
  });

  it('when keys differ, then flights run independently', async () => {
    const flights = new FlightCoalescer<string>();
    expect(await Promise.all([flights.run('a', async () => 'A'), flights.run('b', async () => 'B')])).toEqual(
      ['A', 'B'],
    );
  });
});

describe('L1Cache', () => {
  const value: Item = { id: 'u', name: 'N', version: 1 };

  function l1At(clock: { t: number }, ttlMs = 1000) {
    const cache = new L1Cache<Item>({ ttlMs, now: () => clock.t });
    cache.setAvailable(true);
    clock.t += 1; // reads issued at the very instant of a flush are refused (conservatively)
    return cache;
  }

  it('when an entry is older than the TTL measured from its read, then it is gone', () => {
    const clock = { t: 1000 };
    const l1 = l1At(clock);
    const readAt = clock.t;
    clock.t += 400; // the read took 400 ms
    l1.set('u', { value, version: 1 }, readAt);
    clock.t += 599;
    expect(l1.get('u')?.version).toBe(1);
    clock.t += 1;
    expect(l1.get('u')).toBeUndefined();
  });

  it('when an invalidation arrives while a read is in flight, then that read is not stored', () => {
    const clock = { t: 1000 };
    const l1 = l1At(clock);
    const readAt = clock.t;
    clock.t += 5;
    l1.invalidate('u');
    clock.t += 5;
    l1.set('u', { value, version: 1 }, readAt);
    expect(l1.get('u')).toBeUndefined();
    l1.set('u', { value, version: 2 }, clock.t);
    expect(l1.get('u')?.version).toBe(2);
  });

  it('when the subscription is lost, then the L1 is flushed and stores nothing until it is back', () => {
    const clock = { t: 1000 };
    const l1 = l1At(clock);
    l1.set('u', { value, version: 1 }, clock.t);
    l1.setAvailable(false);
    expect(l1.get('u')).toBeUndefined();
    l1.set('u', { value, version: 1 }, clock.t);
    expect(l1.size).toBe(0);
    const readBeforeRestore = clock.t;
    clock.t += 1;
    l1.setAvailable(true);
    l1.set('u', { value, version: 1 }, readBeforeRestore);
    expect(l1.get('u')).toBeUndefined();
  });

  it('when the entry may live less than the TTL (maxAgeMs), then that shorter bound wins', () => {
    const clock = { t: 1000 };
    const l1 = l1At(clock);
    l1.set('u', { value, version: 1 }, clock.t, 100);
    clock.t += 100;
    expect(l1.get('u')).toBeUndefined();
  });

  it('when options are impossible, then the constructor refuses them', () => {
    expect(() => new L1Cache({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new L1Cache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
