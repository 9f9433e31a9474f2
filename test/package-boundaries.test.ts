import path from 'node:path';
import { describe, expect, it } from 'vitest';
import config from '../vitest.config.mts';
import {
  type AliasEntry,
  aliasProblems,
  boundaryViolations,
  declarationProblems,
  exportMapProblems,
  importsOf,
  readWorkspaces,
  scanImports,
  type WorkspacePackage,
} from './support/package-boundaries';

// Every package is used through its `exports` map and nothing else (docs/design.md "Package boundaries").

const root = path.resolve(__dirname, '..');
const packages = readWorkspaces(root);
const alias = config.resolve?.alias as AliasEntry[];
const sites = scanImports(root);

describe('the repository', () => {
  it('when every source file is scanned, then none imports another package except through its exports', () => {
    expect(sites.length).toBeGreaterThan(1000); // the scan saw the repository
    expect(boundaryViolations(sites, packages)).toEqual([]);
  });

  it('when the workspace packages are read, then each has an exports map, types first, pointing at its sources', () => {
    expect(packages.map((p) => p.dir)).toEqual(
      expect.arrayContaining(['shared/contracts', 'services/auth', 'loadtest', 'examples/cache-products']),
    );
    expect(exportMapProblems(root, packages)).toEqual([]);
  });

  it('when built code imports another package, then it declares the dependency and the tsconfig reference', () => {
    expect(declarationProblems(root, packages, sites)).toEqual([]);
  });

  it('when a test imports an entry point, then the vitest alias sends it to the source it compiles from', () => {
    expect(aliasProblems(root, packages, alias)).toEqual([]);
  });
});

// The checks themselves, on made-up packages: each must catch what it claims to.
const fixture: WorkspacePackage[] = [
  { dir: 'shared/kit', name: '@redwire/kit', exports: { '.': {}, './vitest': {} } },
  { dir: 'services/user', name: '@redwire/user', exports: { '.': {} } },
  { dir: 'examples/demo', name: '@redwire/example-demo', exports: {} },
];
const site = (file: string, specifier: string) => ({ file, specifier });

describe('boundaryViolations', () => {
  it("when a file imports another package's dist or src by name, then it is reported", () => {
    expect(
      boundaryViolations(
        [
          site('loadtest/src/bench.ts', '@redwire/user/dist/cache/user-cache.keys'),
          site('infra/compose/test/a.test.ts', '@redwire/kit/src/keys'),
          site('scripts/x.mjs', '@redwire/example-demo'),
        ],
        fixture,
      ),
    ).toHaveLength(3);
  });

  it('when a file reaches into another package by relative path, then it is reported', () => {
    const violations = boundaryViolations(
      [
        site('infra/compose/test/acl.test.ts', '../../../services/user/src/config'),
        site('services/gateway/test/x.test.ts', '../../user/src/db/migrator'),
        // A deep import of another package's build, the relative path derived rather than spelt out.
        site('services/user/src/x.ts', path.posix.relative('services/user/src', 'shared/kit/dist/index.js')),
        site('services/user/src/y.ts', '../../../../outside'),
        site('services/user/src/z.ts', '../test/support/user-stack'), // its own test support: fine
      ],
      fixture,
    );
    expect(violations).toHaveLength(4);
    expect(violations[0]).toMatch(/reaches into services\/user/);
    expect(violations[3]).toMatch(/leaves the repository/);
  });

  it("when test code imports another package's test support, then it passes, and non-test code may not", () => {
    const support = '../../user/test/support/user-stack';
    expect(boundaryViolations([site('services/gateway/test/a.test.ts', support)], fixture)).toEqual([]);
    expect(boundaryViolations([site('services/gateway/src/a.ts', support)], fixture)).toHaveLength(1);
    expect(
      boundaryViolations([site('services/gateway/test/a.test.ts', '../../user/test/user.test')], fixture),
    ).toHaveLength(1);
  });

  it('when a file imports declared entry points or registry packages, then nothing is reported', () => {
    expect(
      boundaryViolations(
        [
          site('services/gateway/src/a.ts', '@redwire/kit'),
          site('services/gateway/test/a.test.ts', '@redwire/kit/vitest'),
          site('services/gateway/src/a.ts', 'zod/v4'),
          site('services/gateway/src/a.ts', 'node:fs'),
          site('services/gateway/src/a.ts', './local'),
        ],
        fixture,
      ),
    ).toEqual([]);
  });
});

describe('importsOf', () => {
  it('when a file imports statically, dynamically, re-exports or requires, then every specifier is found', () => {
    const text = [
      "import { a } from '@redwire/user/dist/a';",
      "export * from '../../services/auth/src/b';",
      "const c = await import('@redwire/kit/src/c');",
      "const d = require('../../testing/dist/index.js');",
      "import type { E } from './e';",
    ].join('\n');
    expect(importsOf('x.ts', text).map((s) => s.specifier)).toEqual([
      '@redwire/user/dist/a',
      '../../services/auth/src/b',
      '@redwire/kit/src/c',
      '../../testing/dist/index.js',
      './e',
    ]);
  });
});

describe('exportMapProblems', () => {
  const contracts = (exportsField: unknown): WorkspacePackage[] => [
    { dir: 'shared/contracts', name: '@redwire/contracts', exports: exportsField },
  ];

  it('when a package has no exports map, then it is reported', () => {
    expect(exportMapProblems(root, contracts(undefined))).toEqual([
      'shared/contracts: package.json has no "exports" map',
    ]);
  });

  it('when an entry has no types, lists them after default, or names a file no source compiles to, then it is reported', () => {
    expect(exportMapProblems(root, contracts({ '.': './dist/index.js' }))).toHaveLength(1);
    expect(
      exportMapProblems(root, contracts({ '.': { default: './dist/index.js', types: './dist/index.d.ts' } })),
    ).toEqual(['shared/contracts: export \'.\' does not list "types" first']);
    expect(
      exportMapProblems(root, contracts({ '.': { types: './dist/gone.d.ts', default: './dist/gone.js' } })),
    ).toHaveLength(2);
    expect(
      exportMapProblems(root, contracts({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } })),
    ).toEqual([]);
  });
});

describe('declarationProblems', () => {
  it('when src imports a package it neither depends on nor references, then both are reported', () => {
    const user = packages.filter((p) => p.dir === 'services/user' || p.dir === 'shared/ratelimit');
    expect(
      declarationProblems(root, user, [site('services/user/src/x.ts', '@redwire/ratelimit')]).sort(),
    ).toEqual([
      'services/user: src imports @redwire/ratelimit, package.json does not depend on it',
      'services/user: src imports @redwire/ratelimit, tsconfig.json has no reference to shared/ratelimit',
    ]);
  });
});

describe('aliasProblems', () => {
  it('when the alias does not send an entry point to its source, then it is reported', () => {
    const pkg: WorkspacePackage[] = [
      {
        dir: 'shared/contracts',
        name: '@redwire/contracts',
        exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } },
      },
    ];
    expect(aliasProblems(root, pkg, [])).toHaveLength(1);
    expect(
      aliasProblems(root, pkg, [
        { find: /^@redwire\/([a-z-]+)$/, replacement: path.join(root, 'shared/$1/src') },
      ]),
    ).toHaveLength(1);
    expect(
      aliasProblems(root, pkg, [
        { find: /^@redwire\/([a-z-]+)$/, replacement: path.join(root, 'shared/$1/src/index.ts') },
      ]),
    ).toEqual([]);
  });
});
