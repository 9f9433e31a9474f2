import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The compose boot test only (infra/compose/boot-test/boot-test runs it once the images are built): no
// global setup, since it starts nothing of its own; it drives the compose project.
export default defineConfig({
  root: path.resolve(import.meta.dirname, '../../..'),
  test: {
    include: ['infra/compose/boot-test/**/*.serial.test.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
