import { RequestDeadline, RequestDeadlineExceededError, runWithDeadline } from '@redwire/deadline';
import { uniquePrefix } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  Coalescer,
  createRedisClient,
  isRedisUnavailableError,
  type RedisClient,
  waitForReady,
} from '../src/index';
import { TOPOLOGIES, targetOf } from './support/topologies';

// `WAIT 1 <ms>` blocks only the calling connection for <ms> (no replica will acknowledge), so a slow
// command can be made on the shared servers without stalling them for other suites.
const BUDGET_MS = 150;
const MARGIN_MS = 150;

describe.each(TOPOLOGIES)('request-path client under a request deadline (%s)', (topology) => {
  let client: RedisClient;
  beforeAll(async () => {
    client = createRedisClient({ ...targetOf(topology), service: 'deadline-test', commandTimeoutMs: 2000 });
    await waitForReady(client, 10_000);
  });
  afterAll(() => client.disconnect());

  const slow = (ms: number) => client.call('WAIT', '1', String(ms));

  it('when a command outlasts the request deadline, then it is rejected at the deadline with the deadline error, not a timeout', async () => {
    const started = performance.now();
    const error = await runWithDeadline(RequestDeadline.after(BUDGET_MS), () => slow(1000)).catch((e) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RequestDeadlineExceededError);
    expect(isRedisUnavailableError(error)).toBe(false);
    expect(elapsed).toBeGreaterThanOrEqual(BUDGET_MS - 5);
    expect(elapsed).toBeLessThan(BUDGET_MS + MARGIN_MS);
    // The connection keeps working once the late reply has come in.
    expect(await client.ping()).toBe('PONG');
  });

  it('when the deadline has already passed, then the command is not sent at all', async () => {
    const key = `${uniquePrefix('dl')}:{k}`;
    const expired = RequestDeadline.after(1);
    await new Promise((r) => setTimeout(r, 5));
    await expect(runWithDeadline(expired, () => client.set(key, 'written'))).rejects.toBeInstanceOf(
      RequestDeadlineExceededError,
    );
    expect(await client.get(key)).toBeNull();
  });

  it('when there is no deadline, or more time than the command timeout, then the command timeout alone applies', async () => {
    const started = performance.now();
    await slow(BUDGET_MS + 100);
    await runWithDeadline(RequestDeadline.after(5000), () => slow(BUDGET_MS + 100));
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * (BUDGET_MS + 100) - 10);
  });
});

describe('what a spent request deadline does to shared Redis machinery', () => {
  it('when one caller of a coalesced batch runs out of time, then only that caller gives up and the batch serves the others', async () => {
    let release: () => void = () => {};
    const coalescer = new Coalescer<number, number>({
      send: (items) =>
        new Promise((resolve) => {
          release = () => resolve(items.map((i) => i * 10));
        }),
    });
    const hurried = runWithDeadline(RequestDeadline.after(30), () => coalescer.submit(1)).catch((e) => e);
    const patient = runWithDeadline(RequestDeadline.after(10_000), () => coalescer.submit(2));
    expect(await hurried).toBeInstanceOf(RequestDeadlineExceededError);
    release();
    expect(await patient).toBe(20);
  });

  it('when calls fail because their requests ran out of time, then a breaker neither opens nor lets a half-open probe close it', async () => {
    const breaker = new CircuitBreaker({ name: 'deadline-test', minimumCalls: 2, openDurationMs: 50 });
    const spent = () => Promise.reject(new RequestDeadlineExceededError(100));
    for (let i = 0; i < 5; i++)
      await expect(breaker.run(spent)).rejects.toBeInstanceOf(RequestDeadlineExceededError);
    expect(breaker.state).toBe('closed');

    const down = () => Promise.reject(new Error('Connection is closed.'));
    for (let i = 0; i < 3; i++) await breaker.run(down).catch(() => {});
    expect(breaker.state).toBe('open');
    await new Promise((r) => setTimeout(r, 80));
    expect(breaker.state).toBe('half-open');
    await expect(breaker.run(spent)).rejects.toBeInstanceOf(RequestDeadlineExceededError);
    expect(breaker.state).toBe('half-open');
    breaker.shutdown();
  });
});
