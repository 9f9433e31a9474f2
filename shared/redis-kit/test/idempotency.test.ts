import { describe, expect, it } from 'vitest';
import { IdempotencyGuard, IdempotencyInProgressError, InvalidOptionsError } from '../src/index';
import { useRedis } from './support/topologies';

describe('IdempotencyGuard', () => {
  const redis = useRedis('single');

  async function guard(leaseMs = 5000) {
    return new IdempotencyGuard({ client: await redis.client(), keys: redis.keys, scope: 'test', leaseMs });
  }

  it('when an id runs twice, then the effect runs once and the second call reports a duplicate', async () => {
    const g = await guard();
    let runs = 0;
    expect(await g.runOnce('a', async () => ++runs)).toEqual({ executed: true, value: 1 });
    expect(await g.runOnce('a', async () => ++runs)).toEqual({ executed: false, reason: 'duplicate' });
    expect(runs).toBe(1);
  });

  it('when the mark is written, then it lives under <prefix>:processed:<scope>:<id> with the done TTL', async () => {
    const client = await redis.client();
    const g = new IdempotencyGuard({ client, keys: redis.keys, scope: 'grp', doneTtlMs: 60_000 });
    await g.runOnce('evt:1', async () => undefined);
    const key = `${redis.keys.prefix}:processed:grp:evt%3A1`;
    expect(g.keyFor('evt:1')).toBe(key);
    expect(await client.get(key)).toBe('done');
    expect(await client.pttl(key)).toBeGreaterThan(50_000);
  });

  it('when the same id runs concurrently, then one runs and the other is told it is in progress', async () => {
    const g = await guard();
    let release!: () => void;
    const first = g.runOnce('b', () => new Promise<string>((r) => (release = () => r('first'))));
    await new Promise((r) => setTimeout(r, 50));
    await expect(g.runOnce('b', async () => 'second')).rejects.toBeInstanceOf(IdempotencyInProgressError);
    release();
    expect(await first).toEqual({ executed: true, value: 'first' });
  });

  it('when the effect fails, then the claim is released and a retry runs it', async () => {
    const g = await guard();
    await expect(g.runOnce('c', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await g.isDone('c')).toBe(false);
    expect(await g.runOnce('c', async () => 'ok')).toEqual({ executed: true, value: 'ok' });
  });

  it('when a worker crashed holding the claim, then the claim expires and a redelivery runs the effect', async () => {
    const client = await redis.client();
    const g = await guard(150);
    // A crashed worker's claim: never completed, never released.
    await client.set(g.keyFor('d'), 'claim:crashed', 'PX', 150);
    await expect(g.runOnce('d', async () => 'x')).rejects.toBeInstanceOf(IdempotencyInProgressError);
    await new Promise((r) => setTimeout(r, 250));
    expect(await g.runOnce('d', async () => 'x')).toEqual({ executed: true, value: 'x' });
  });

  it('when options are invalid, then the constructor lists them', async () => {
    const client = await redis.client();
    expect(
      () => new IdempotencyGuard({ client, keys: redis.keys, scope: '', leaseMs: 10, doneTtlMs: 5 }),
    ).toThrow(InvalidOptionsError);
  });
});
