import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// Every workspace package declares exactly what it imports: a package its src/ imports is a dependency
// (it ships with the package), one only its tests import is a devDependency, and nothing is declared that
// nothing imports. The root package's devDependencies (vitest, fast-check, typescript, @types/node, biome)
// are the test toolchain of every package and count for tests everywhere; they never count for src/.

const repoRoot = path.resolve(__dirname, '..');

interface Manifest {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * Declared dependencies no source file names, each with the reason it is still needed. Keep this short:
 * a package that is loaded by name at run time belongs here only when no `import`/`require` can say so.
 */
const USED_WITHOUT_IMPORT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '@redwire/compose-checks': {
    protobufjs:
      'imported by boot-test/otlp-receiver (its own package, for its image), which test/otlp-receiver.test.ts runs in-process',
  },
  '@redwire/loadtest': {
    '@types/k6': 'types of the k6 scripts in loadtest/k6 (run by k6, not Node; checked by tsconfig.k6.json)',
  },
};

/** Folders of a workspace package holding test code (everything else scanned is shipped source). */
const TEST_FOLDERS = ['test', 'boot-test'];
const SOURCE_FILE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** The workspace package folders named by the root `workspaces` globs (only trailing `/*` is used there). */
function workspacePackages(root: Manifest): string[] {
  return (root.workspaces ?? []).flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return fs
      .readdirSync(path.join(repoRoot, parent), { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(repoRoot, parent, d.name, 'package.json')))
      .map((d) => `${parent}/${d.name}`);
  });
}

/** Source files under `dir`, leaving out build output and nested packages (a folder with its own package.json). */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const nested = fs.existsSync(path.join(full, 'package.json'));
      return nested || entry.name === 'node_modules' || entry.name === 'dist' ? [] : filesUnder(full);
    }
    return entry.isFile() && SOURCE_FILE.test(entry.name) ? [full] : [];
  });
}

const IMPORT_FORMS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, // import x from 'a'; export * from 'a'
  /\bimport\s*['"]([^'"]+)['"]/g, // import 'a'
  /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]/g, // import('a'), require('a')
  /\b(?:require|createRequire\([^)]*\)|import\.meta)\.resolve\s*\(\s*['"]([^'"]+)['"]/g, // require.resolve('a/package.json')
];
const builtins = new Set(builtinModules);

/** The package names a source file imports (bare specifiers only; `node:` and built-ins left out). */
function importedPackages(source: string): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const names = new Set<string>();
  for (const form of IMPORT_FORMS) {
    for (const m of code.matchAll(form)) {
      const specifier = m[1] ?? '';
      if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) continue;
      const parts = specifier.split('/');
      const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? '');
      if (name === '' || builtins.has(name)) continue;
      names.add(name);
    }
  }
  return names;
}

/** `@types/foo` types `foo`; `@types/scope__name` types `@scope/name`. */
const typedPackage = (typesName: string) => {
  const bare = typesName.slice('@types/'.length);
  return bare.includes('__') ? `@${bare.replace('__', '/')}` : bare;
};

interface PackageReport {
  /** Imported by src/ but not in dependencies (or peer/optional dependencies). */
  undeclaredInSource: string[];
  /** Imported by tests but declared nowhere the tests may use. */
  undeclaredInTests: string[];
  /** In dependencies but imported only by tests. */
  onlyUsedByTests: string[];
  /** Declared and imported by nothing. */
  unused: string[];
}

/** Compares one package's imports with its manifest; `rootDev` are the root devDependencies. */
function checkPackage(
  manifest: Manifest,
  imports: { source: ReadonlySet<string>; tests: ReadonlySet<string> },
  rootDev: ReadonlySet<string>,
  usedWithoutImport: ReadonlySet<string> = new Set(),
): PackageReport {
  const shipped = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ]);
  const dev = new Set(Object.keys(manifest.devDependencies ?? {}));
  const self = manifest.name;
  const isUsedBy = (name: string, used: ReadonlySet<string>) =>
    used.has(name) ||
    (name.startsWith('@types/') && (name === '@types/node' || used.has(typedPackage(name))));
  const sorted = (names: Iterable<string>) => [...names].sort();
  return {
    undeclaredInSource: sorted([...imports.source].filter((n) => n !== self && !shipped.has(n))),
    undeclaredInTests: sorted(
      [...imports.tests].filter((n) => n !== self && !shipped.has(n) && !dev.has(n) && !rootDev.has(n)),
    ),
    onlyUsedByTests: sorted(
      [...shipped].filter(
        (n) => !n.startsWith('@types/') && !isUsedBy(n, imports.source) && isUsedBy(n, imports.tests),
      ),
    ),
    unused: sorted(
      [...shipped, ...dev].filter(
        (n) =>
          !usedWithoutImport.has(n) &&
          !isUsedBy(n, imports.source) &&
          !isUsedBy(n, imports.tests) &&
          // types of a shipped dependency go with it, whichever list they are in
          !(n.startsWith('@types/') && (shipped.has(typedPackage(n)) || dev.has(typedPackage(n)))),
      ),
    ),
  };
}

function importsOf(packageDir: string): { source: Set<string>; tests: Set<string> } {
  const source = new Set<string>();
  const tests = new Set<string>();
  for (const entry of fs.readdirSync(packageDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name === 'dist') continue;
    // loadtest/k6 is run by k6, whose modules (k6/http, …) are not npm packages.
    if (entry.name === 'k6') continue;
    const into = TEST_FOLDERS.includes(entry.name) ? tests : source;
    for (const file of filesUnder(path.join(packageDir, entry.name))) {
      for (const name of importedPackages(fs.readFileSync(file, 'utf8'))) into.add(name);
    }
  }
  return { source, tests };
}

describe('dependencies of the workspace packages', () => {
  const root = readJson<Manifest>(path.join(repoRoot, 'package.json'));
  const rootDev = new Set(Object.keys(root.devDependencies ?? {}));
  const packages = workspacePackages(root);

  it('when the workspace is listed, then every package is found', () => {
    expect(packages.length).toBeGreaterThan(15);
    expect(packages).toContain('shared/redis-kit');
  });

  it.each(packages)('when %s is scanned, then it declares exactly what its src/ and tests import', (dir) => {
    const manifest = readJson<Manifest>(path.join(repoRoot, dir, 'package.json'));
    const exceptions = new Set(Object.keys(USED_WITHOUT_IMPORT[manifest.name] ?? {}));
    const report = checkPackage(manifest, importsOf(path.join(repoRoot, dir)), rootDev, exceptions);
    expect(report).toEqual({
      undeclaredInSource: [],
      undeclaredInTests: [],
      onlyUsedByTests: [],
      unused: [],
    });
  });

  it('when the checker is given a package with each kind of mistake, then it reports each one', () => {
    const report = checkPackage(
      {
        name: '@redwire/example',
        dependencies: { express: '5.0.0', 'structured-headers': '2.0.0', '@opentelemetry/core': '2.0.0' },
        devDependencies: { '@types/express': '5.0.0', '@types/pg': '8.0.0' },
      },
      {
        source: importedPackages(
          "import express from 'express';\nimport { z } from 'zod';\n// import x from 'commented-out';\nimport fs from 'node:fs';\nimport path from 'path';\nexport * from './local';",
        ),
        tests: importedPackages(
          "import { parseList } from 'structured-headers';\nimport { it } from 'vitest';\nconst m = await import('ajv');",
        ),
      },
      new Set(['vitest']),
    );
    expect(report).toEqual({
      undeclaredInSource: ['zod'],
      undeclaredInTests: ['ajv'],
      onlyUsedByTests: ['structured-headers'],
      unused: ['@opentelemetry/core', '@types/pg'],
    });
  });

  it('when the workspace is installed, then there is one ioredis, the version every package declares', () => {
    const declared = new Set(
      packages.flatMap((dir) => {
        const m = readJson<Manifest>(path.join(repoRoot, dir, 'package.json'));
        const v = m.dependencies?.ioredis ?? m.devDependencies?.ioredis;
        return v === undefined ? [] : [v];
      }),
    );
    expect([...declared]).toEqual([
      readJson<{ version: string }>(path.join(repoRoot, 'node_modules/ioredis/package.json')).version,
    ]);
    const lock = readJson<{ packages: Record<string, { version?: string }> }>(
      path.join(repoRoot, 'package-lock.json'),
    );
    const copies = Object.entries(lock.packages)
      .filter(([where]) => /(^|\/)node_modules\/ioredis$/.test(where))
      .map(([where, p]) => `${where}@${p.version}`);
    expect(copies).toEqual([`node_modules/ioredis@${[...declared][0]}`]);
  });
});
