import path from 'node:path';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;

// Tests import the workspace packages from source, so `npm test` needs no build first.
const alias = [
  { find: /^@redwire\/testing\/vitest$/, replacement: path.join(root, 'shared/testing/src/vitest/index.ts') },
  {
    find: /^@redwire\/observability\/preload$/,
    replacement: path.join(root, 'shared/observability/src/preload.ts'),
  },
  { find: /^@redwire\/local-stack$/, replacement: path.join(root, 'infra/local-stack/src/index.ts') },
  // The services' public entries (runtime factories, config loaders) for the checks that run them in-process.
  { find: /^@redwire\/(user|auth|gateway)$/, replacement: path.join(root, 'services/$1/src/index.ts') },
  { find: /^@redwire\/([a-z-]+)$/, replacement: path.join(root, 'shared/$1/src/index.ts') },
];

const testGlobs = [
  'shared/*/test/**/*.test.ts',
  'services/*/test/**/*.test.ts',
  'infra/*/test/**/*.test.ts',
  'loadtest/test/**/*.test.ts',
  'examples/*/test/**/*.test.ts',
  // Checks of the repository as a whole: references, dependencies, package boundaries.
  'test/**/*.test.ts',
];

export default defineConfig({
  resolve: { alias },
  test: {
    globalSetup: ['shared/testing/src/vitest/global-setup.ts'],
    reporters: ['default', './scripts/summary-reporter.ts'],
    testTimeout: 30000,
    hookTimeout: 60000,
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: testGlobs,
          exclude: ['**/*.serial.test.ts', '**/node_modules/**'],
          pool: 'forks',
        },
      },
      {
        // Wall-clock-sensitive tests (timeouts, outage recovery, revocation within 1 s) run one file at a
        // time so a busy CPU cannot make them flaky.
        extends: true,
        test: {
          name: 'serial',
          include: testGlobs.map((g) => g.replace('*.test.ts', '*.serial.test.ts')),
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
