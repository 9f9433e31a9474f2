import fs from 'node:fs';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

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
    const block = /```ts\n([\s\S]*?)```/.exec(fs.readFileSync(README, 'utf8'))?.[1];
    expect(block).toBeDefined();
    expect((block as string).trim().split('\n').length).toBeLessThanOrEqual(24);
    fs.mkdirSync(scratch, { recursive: true });
    const file = path.join(scratch, `readme-${process.pid}-${Date.now()}.ts`);
    fs.writeFileSync(file, block as string);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    vi.stubEnv('REDIS_URL', server.url);
    try {
      await import(file);
    } finally {
      log.mockRestore();
      vi.unstubAllEnvs();
      fs.rmSync(file, { force: true });
    }
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
