import { describe, expect, it } from 'vitest';
import { keyFamily } from '../src/soak/redis-census';
import type { SoakSample } from '../src/soak/soak-report.types';
import { summarize } from '../src/soak/soak-summary';

describe('keyFamily', () => {
  it('when keys carry ids, addresses, numbers or session tags, then keys of one kind share a family', () => {
    expect(keyFamily('user:profile:{0190a5d1-ac96-774b-bcce-b302099a8057}:v1')).toBe(
      'user:profile:{<id>}:v1',
    );
    expect(keyFamily('gateway:rl:{i.127.99.0.10}:login-ip')).toBe('gateway:rl:{i.<ip>}:login-ip');
    expect(keyFamily('gateway:rl:{%uAaI3qOrDde-YPsQTJKJ6mw}:user-free')).toBe(
      'gateway:rl:{%u<token>}:user-free',
    );
    expect(keyFamily('gateway:rl:{%hn4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg}:per-key')).toBe(
      'gateway:rl:{%h<token>}:per-key',
    );
    expect(keyFamily('auth:session:{Fcl6h5NFZEY0wMWe}:s:dSnHOMqUiVdwXQKw8yvW3Q')).toBe(
      'auth:session:{<token>}:s:<token>',
    );
    expect(keyFamily('user:{jobs}:cache-invalidation:42')).toBe('user:{jobs}:cache-invalidation:<n>');
    expect(keyFamily('user:{jobs}:cache-invalidation:de:user-0190a5d1-ac96-774b-bcce-b302099a8057')).toBe(
      'user:{jobs}:cache-invalidation:de:user-<id>',
    );
    // Names stay names, however long.
    expect(keyFamily('user:{jobs}:outbox-maintenance:repeat:outbox-cleanup')).toBe(
      'user:{jobs}:outbox-maintenance:repeat:outbox-cleanup',
    );
  });
});

function sample(
  t: number,
  over: { rss?: number; family?: Record<string, { keys: number; noTtl: number; noTtlElements: number }> },
): SoakSample {
  const redis = { usedMemoryMiB: 2, keys: 10, aofMiB: 0, families: over.family ?? {} };
  return {
    t,
    loadAverage: 1,
    rssMiB: { gateway: over.rss ?? 100 },
    redis: { state: redis, cache: { ...redis, families: {} } },
    requests: { total: 10, failed: 0, p50Ms: 1, p99Ms: 2 },
  };
}

describe('summarize', () => {
  const times = Array.from({ length: 10 }, (_, i) => i * 180);

  it('when a process keeps rising over the second half, then it is flagged; a warm-up rise that settles is not', () => {
    const leak = summarize(times.map((t, i) => sample(t, { rss: 100 + 10 * i })));
    expect(leak.processes[0]).toMatchObject({ name: 'gateway RSS', growing: true });
    expect(leak.flags).toHaveLength(1);
    const warmUp = summarize(times.map((t, i) => sample(t, { rss: i < 3 ? 100 + 30 * i : 160 })));
    expect(warmUp.processes[0]?.growing).toBe(false);
    expect(warmUp.flags).toEqual([]);
  });

  it('when a heap saws up and down with garbage collections, then its peaks are not growth; a rising floor is', () => {
    const saw = (i: number) => (i % 3 === 2 ? 60 : 0);
    const gc = summarize(times.map((t, i) => sample(t, { rss: 120 + saw(i) + (i === 9 ? 80 : 0) })));
    expect(gc.processes[0]).toMatchObject({ floorEarly: 120, floorLate: 120, growing: false });
    const leak = summarize(times.map((t, i) => sample(t, { rss: 120 + saw(i) + 4 * i })));
    expect(leak.processes[0]?.growing).toBe(true);
    expect(leak.flags[0]).toMatch(/^gateway RSS: its floor rose from \d+ to \d+ MiB/);
  });

  it('when keys without a TTL grow with no declared bound, then the family is flagged; a declared stream cap is not', () => {
    const summary = summarize(
      times.map((t, i) =>
        sample(t, {
          family: {
            'auth:leaky:{<token>}': { keys: 10 + 10 * i, noTtl: 10 + 10 * i, noTtlElements: 10 + 10 * i },
            'user:stream:{user-events}': { keys: 1, noTtl: 1, noTtlElements: 100 * i },
            'gateway:rl:{i.<ip>}:anon-ip': { keys: 5 + i, noTtl: 0, noTtlElements: 0 },
          },
        }),
      ),
    );
    const verdicts = Object.fromEntries(summary.families.map((f) => [f.family, f.verdict]));
    expect(verdicts).toEqual({
      'auth:leaky:{<token>}': 'no ttl, GROWING',
      'gateway:rl:{i.<ip>}:anon-ip': 'ttl',
      'user:stream:{user-events}': 'no ttl, bounded',
    });
    expect(summary.flags).toEqual([
      'state Redis auth:leaky:{<token>}: keys without a TTL kept growing (10 → 100 elements) with no known bound',
    ]);
  });

  it('when a bounded stream holds far more than its cap, then the cap did not hold and it is flagged', () => {
    const summary = summarize(
      times.map((t) =>
        sample(t, { family: { 'auth:stream:{auth-events}': { keys: 1, noTtl: 1, noTtlElements: 20_000 } } }),
      ),
    );
    expect(summary.families[0]?.verdict).toBe('no ttl, GROWING');
  });
});
