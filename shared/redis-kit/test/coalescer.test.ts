import { Coalescer } from '@redwire/redis-kit';
import { describe, expect, it } from 'vitest';

describe('Coalescer', () => {
  it('when 40 calls arrive in one turn with maxBatch 16, then 3 batches of 16, 16 and 8 go out in order and each caller gets its own result', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, string>({
      maxBatch: 16,
      send: async (items) => {
        batches.push([...items]);
        return items.map((n) => `r${n}`);
      },
    });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => coalescer.submit(i)));
    expect(batches.map((b) => b.length)).toEqual([16, 16, 8]);
    expect(batches.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`));
  });

  it('when calls arrive in separate turns, then each goes out alone without waiting for company', async () => {
    const sizes: number[] = [];
    const coalescer = new Coalescer<number, number>({
      send: async (items) => {
        sizes.push(items.length);
        return items;
      },
    });
    for (let i = 0; i < 3; i++) expect(await coalescer.submit(i)).toBe(i);
    expect(sizes).toEqual([1, 1, 1]);
  });

  it('when items of 3 groups arrive in one turn, then each batch holds one group only, filled and sent apart', async () => {
    const batches: number[][] = [];
    const coalescer = new Coalescer<number, number>({
      maxBatch: 4,
      groupOf: (n) => n % 3,
      send: async (items) => {
        batches.push([...items]);
        return items.map((n) => n * 10);
      },
    });
    const results = await Promise.all(Array.from({ length: 15 }, (_, i) => coalescer.submit(i)));
    expect(results).toEqual(Array.from({ length: 15 }, (_, i) => i * 10));
    for (const batch of batches) expect(new Set(batch.map((n) => n % 3)).size).toBe(1);
    // 5 items per group, at most 4 per batch: one full batch and one of 1 for each group.
    expect(batches.map((b) => b.length).sort()).toEqual([1, 1, 1, 4, 4, 4]);
  });

  it('when maxBatch is not a positive integer, then it refuses to start', () => {
    expect(() => new Coalescer({ maxBatch: 0, send: async () => [] })).toThrow(/maxBatch/);
  });

  it('when send answers with the wrong number of results, then every caller of the batch gets an error', async () => {
    const coalescer = new Coalescer<number, number>({ send: async (items) => items.slice(1) });
    const settled = await Promise.allSettled([coalescer.submit(1), coalescer.submit(2)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });

  it('when send throws synchronously, then the batch rejects instead of escaping', async () => {
    const coalescer = new Coalescer<number, number>({
      send: () => {
        throw new Error('boom');
      },
    });
    await expect(coalescer.submit(1)).rejects.toThrow('boom');
  });
});
