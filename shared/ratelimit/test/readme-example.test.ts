import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { firstCodeBlock, runExample } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README opens with an example that must run as written: this takes its first ```ts block verbatim,
// puts it where the workspace resolves its imports, and runs it against a Redis of its own.
const README = path.join(__dirname, '..', 'README.md');
const scratch = path.join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'redwire-readme');

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
});

describe('the README example', () => {
  it('when the first code block of the README runs against a real Redis, then it prints five allowed calls and two refusals', async () => {
    const block = firstCodeBlock(README);
    expect(block.trim().split('\n').length).toBeLessThanOrEqual(24);
    const lines = await runExample(block, scratch, { REDIS_URL: server.url });
    expect(lines.slice(0, 5)).toEqual([4, 3, 2, 1, 0].map((left, i) => `${i + 1} allowed, ${left} left`));
    // 5 a minute: the next unit arrives 12 s after the first was spent.
    for (const [i, line] of lines.slice(5).entries()) {
      const ms = Number(/^\d refused, wait (\d+) ms$/.exec(line)?.[1]);
      expect(line.startsWith(`${i + 6} refused`)).toBe(true);
      expect(ms).toBeGreaterThan(10_000);
      expect(ms).toBeLessThanOrEqual(12_000);
    }
    expect(lines).toHaveLength(7);
  });
});
