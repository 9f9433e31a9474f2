import { DeadlineExceededError, withDeadline } from '@redwire/deadline';
import { describe, expect, it } from 'vitest';

describe('withDeadline', () => {
  it('when the work settles first, then its value or error comes through', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1000)).rejects.toThrow('boom');
  });

  it('when the deadline passes first, then it rejects with DeadlineExceededError and a late failure stays handled', async () => {
    let fail: (error: Error) => void = () => {};
    const late = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const started = performance.now();
    await expect(withDeadline(late, 30)).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    fail(new Error('too late')); // would be an unhandled rejection (and fail the run) if not swallowed
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
