import {
  currentDeadline,
  isRequestDeadlineExceeded,
  RequestDeadline,
  RequestDeadlineExceededError,
  runOutsideDeadline,
  runWithDeadline,
  runWithReserve,
  withinRequestDeadline,
} from '@redwire/deadline';
import { describe, expect, it } from 'vitest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RequestDeadline', () => {
  it('when work runs under a deadline, then every continuation of it sees that deadline, and work outside sees none', async () => {
    const deadline = RequestDeadline.after(1000);
    const seen = await runWithDeadline(deadline, async () => {
      await sleep(5);
      const inTimer = await new Promise((resolve) => setTimeout(() => resolve(currentDeadline()), 1));
      const outside = runOutsideDeadline(() => currentDeadline());
      return { afterAwait: currentDeadline(), inTimer, outside };
    });
    expect(seen).toEqual({ afterAwait: deadline, inTimer: deadline, outside: undefined });
    expect(currentDeadline()).toBeUndefined();
  });

  it('when time passes, then the time left shrinks to 0 and the deadline reports expiry', async () => {
    const roomy = RequestDeadline.after(60_000);
    expect(roomy.remainingMs()).toBeGreaterThan(50_000);
    expect(roomy.expired).toBe(false);
    expect(() => roomy.throwIfExpired()).not.toThrow();
    const deadline = RequestDeadline.after(30);
    await sleep(40);
    expect(deadline.remainingMs()).toBe(0);
    expect(deadline.expired).toBe(true);
    expect(() => deadline.throwIfExpired()).toThrow(RequestDeadlineExceededError);
  });

  it('when a step reserves time, then the work before it sees an earlier deadline, never one in the past', async () => {
    const deadline = RequestDeadline.after(1000);
    const reserved = runWithDeadline(deadline, () => runWithReserve(300, () => currentDeadline()));
    expect(reserved?.expiresAt).toBeCloseTo(deadline.expiresAt - 300, 5);
    expect(runWithReserve(300, () => currentDeadline())).toBeUndefined();
    const tight = RequestDeadline.after(100).reserve(300);
    expect(tight.remainingMs()).toBe(0);
  });

  it('when the deadline passes first, then withinRequestDeadline rejects in time and the late failure stays handled', async () => {
    let fail: (error: Error) => void = () => {};
    const late = new Promise<never>((_, reject) => {
      fail = reject;
    });
    const started = performance.now();
    await expect(
      runWithDeadline(RequestDeadline.after(40), () => withinRequestDeadline(late)),
    ).rejects.toBeInstanceOf(RequestDeadlineExceededError);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    fail(new Error('too late'));
    await sleep(5);
    await expect(withinRequestDeadline(Promise.resolve(3))).resolves.toBe(3);
    await expect(
      runWithDeadline(RequestDeadline.after(1000), () => withinRequestDeadline(Promise.resolve(4))),
    ).resolves.toBe(4);
  });

  it('when the deadline passes, then its signal aborts with the deadline error as reason', async () => {
    expect(RequestDeadline.after(60_000).signal.aborted).toBe(false);
    const deadline = RequestDeadline.after(20);
    const { signal } = deadline;
    await sleep(40);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBeInstanceOf(RequestDeadlineExceededError);
    expect(isRequestDeadlineExceeded(new Error('wrapped', { cause: signal.reason }))).toBe(true);
    expect(isRequestDeadlineExceeded(new Error('other'))).toBe(false);
  });
});
