import fs from 'node:fs';
import path from 'node:path';
import { freshDatabase, sharedServers } from '@redwire/testing/vitest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The example that opens the README runs as written: the README's first code block is this file, which
// the test runs against the shared Redis and a fresh PostgreSQL database.

const EXAMPLE = path.join(__dirname, 'readme-example.mts');

let db: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('README example', () => {
  it('when the README is read, then its first code block is the example file, line for line', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(fs.readFileSync(EXAMPLE, 'utf8'));
  });

  it('when the example runs, then it reads MISS, then HIT, then the written version', async () => {
    process.env.DATABASE_URL = db.url;
    process.env.REDIS_URL = sharedServers().redisUrl;
    const printed: unknown[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((value: unknown) => printed.push(value));
    try {
      await import(EXAMPLE);
    } finally {
      log.mockRestore();
    }
    const product = { id: 'p1', name: 'Teapot', price: 2500 };
    expect(printed).toEqual([
      { value: product, version: 1, status: 'MISS' },
      { value: product, version: 1, status: 'HIT' },
      { value: { ...product, price: 1999 }, version: 2, status: 'MISS' },
    ]);
  });
});
