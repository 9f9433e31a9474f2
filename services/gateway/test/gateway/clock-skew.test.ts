import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PolicyInput } from '../../src/ratelimit';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

const policies: PolicyInput[] = [
  { name: 'bucket', identity: 'ip', limit: 5, period: 3600 },
  { name: 'window', identity: 'ip', algorithm: 'sliding-window', limit: 7, period: 3600 },
];
const realNow = () => performance.timeOrigin + performance.now();

let ahead: GatewayStack;
let behind: GatewayStack;
beforeAll(async () => {
  ahead = await startGatewayStack({ policies, overrides: { clock: () => realNow() + 30_000 } });
  behind = await startGatewayStack({
    policies,
    namespace: ahead.namespace,
    overrides: { clock: () => realNow() - 30_000 },
  });
});
afterAll(async () => {
  await Promise.all([ahead?.stop(), behind?.stop()]);
});
afterEach(() => {
  vi.useRealTimers();
});

describe('two gateway instances with skewed application clocks', () => {
  it('when their clocks are 30 s ahead and 30 s behind and requests alternate, then they decide as one instance would', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      const [instance, skew] = i % 2 === 0 ? [ahead, 30_000] : [behind, -30_000];
      vi.setSystemTime(realNow() + skew);
      const res = await fetch(`${instance.url}/users/1`);
      seen.push(`${res.status} ${res.headers.get('ratelimit')?.replace(/;t=\d+/g, '') ?? ''}`);
    }
    expect(seen).toEqual([
      '200 "bucket";r=4, "window";r=6',
      '200 "bucket";r=3, "window";r=5',
      '200 "bucket";r=2, "window";r=4',
      '200 "bucket";r=1, "window";r=3',
      '200 "bucket";r=0, "window";r=2',
      '429 "bucket";r=0, "window";r=2',
      '429 "bucket";r=0, "window";r=2',
      '429 "bucket";r=0',
    ]);
  });
});
