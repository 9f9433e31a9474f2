import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

// The rule of docs/design.md "Package boundaries": a package is used only through the entry points its
// package.json `exports` map declares. Nothing reaches into another package's `src/` or `dist/`, by
// package name or by relative path. One exception: test code may import another package's `test/support/`
// (the fixtures that start a service for tests spanning several), which no package ships.

/** A workspace package: where it lives and what its `exports` map declares. */
export interface WorkspacePackage {
  /** Repository-relative directory, `/`-separated (`shared/contracts`); `.` for the repository root. */
  readonly dir: string;
  readonly name: string;
  /** The `exports` field as written, or undefined when package.json has none. */
  readonly exports: unknown;
}

/** One import found in a source file. */
export interface ImportSite {
  /** Repository-relative path of the importing file. */
  readonly file: string;
  readonly specifier: string;
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.mjs', '.cjs', '.js'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);
/** Generated output kept in the tree (benchmark results). */
const SKIPPED_PATHS = new Set(['loadtest/results']);

const posix = (p: string) => p.split(path.sep).join('/');

/** The source file an export target compiles from: `./dist/x.d.ts` and `./dist/x.js` come from `src/x.ts`. */
const sourceOf = (target: string) =>
  target
    .replace(/^\.\/dist\//, 'src/')
    .replace(/\.d\.ts$/, '.ts')
    .replace(/\.js$/, '.ts');

/** The workspace packages of the root package.json (`dir/*` globs and plain directories). */
export function readWorkspaces(root: string): WorkspacePackage[] {
  const rootManifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  const dirs = rootManifest.workspaces.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const parent = pattern.slice(0, -2);
    return fs
      .readdirSync(path.join(root, parent), { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && fs.existsSync(path.join(root, parent, entry.name, 'package.json')),
      )
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs.map((dir) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: unknown;
    };
    return { dir, name: manifest.name, exports: manifest.exports };
  });
}

/** Every source file of the repository outside `node_modules` and build output, repository-relative. */
export function listSourceFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir === '' ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !SKIPPED_PATHS.has(rel)) walk(rel);
      } else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext)) && !entry.name.endsWith('.d.ts')) {
        found.push(rel);
      }
    }
  };
  walk('');
  return found.sort();
}

/** The module specifiers a file imports: static and dynamic `import`, `export … from`, `require()`. */
export function importsOf(file: string, text: string): ImportSite[] {
  const info = ts.preProcessFile(text, true, true);
  return [...info.importedFiles, ...info.referencedFiles].map((ref) => ({ file, specifier: ref.fileName }));
}

/** The package a repository-relative path belongs to: the deepest workspace directory holding it, else the root. */
export function ownerOf(file: string, packages: readonly WorkspacePackage[]): string {
  let owner = '.';
  for (const pkg of packages) {
    if ((file === pkg.dir || file.startsWith(`${pkg.dir}/`)) && pkg.dir.length > owner.length)
      owner = pkg.dir;
  }
  return owner;
}

const isTestCode = (file: string) => /(^|\/)(test|boot-test)\//.test(file);

/** Whether `target` lies in the `test/support/` folder of the package at `pkgDir`. */
const isTestSupportOf = (target: string, pkgDir: string) =>
  (pkgDir === '.' ? target : target.slice(pkgDir.length + 1)).startsWith('test/support/');

/** Export subpaths (`.`, `./vitest`) a package declares; empty when it declares none. */
function exportedSubpaths(exportsField: unknown): string[] {
  if (exportsField === undefined || exportsField === null) return [];
  if (typeof exportsField === 'string' || Array.isArray(exportsField)) return ['.'];
  const keys = Object.keys(exportsField as object);
  return keys.every((k) => k.startsWith('.')) ? keys : ['.'];
}

/**
 * Imports that cross a package boundary other than through a declared entry point: a relative path into
 * another package, or `@scope/name/sub` where `./sub` is not in that package's `exports`.
 */
export function boundaryViolations(
  sites: readonly ImportSite[],
  packages: readonly WorkspacePackage[],
): string[] {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const violations: string[] = [];
  for (const { file, specifier } of sites) {
    if (specifier.startsWith('.')) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
      const from = ownerOf(file, packages);
      const to = ownerOf(target, packages);
      if (target.startsWith('../')) violations.push(`${file}: '${specifier}' leaves the repository`);
      else if (from !== to && !(isTestCode(file) && isTestSupportOf(target, to)))
        violations.push(`${file}: '${specifier}' reaches into ${to === '.' ? 'the root' : to} by path`);
      continue;
    }
    const parts = specifier.split('/');
    const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
    const pkg = name === undefined ? undefined : byName.get(name);
    if (pkg === undefined) continue; // a registry dependency or a node: builtin
    const subpath = `.${specifier.slice(pkg.name.length)}`;
    if (!exportedSubpaths(pkg.exports).includes(subpath))
      violations.push(`${file}: '${specifier}' is not an entry point of ${pkg.name} (exports: ${subpath})`);
  }
  return violations;
}

/**
 * Packages whose `exports` map is missing, or names a JavaScript entry without its `types` (first, as
 * TypeScript reads conditions in order), or points at a file that no source compiles to.
 */
export function exportMapProblems(root: string, packages: readonly WorkspacePackage[]): string[] {
  const problems: string[] = [];
  for (const pkg of packages) {
    if (pkg.exports === undefined || pkg.exports === null || typeof pkg.exports !== 'object') {
      problems.push(`${pkg.dir}: package.json has no "exports" map`);
      continue;
    }
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      if (typeof target !== 'object' || target === null) {
        problems.push(`${pkg.dir}: export '${subpath}' has no "types" condition`);
        continue;
      }
      const conditions = target as Record<string, unknown>;
      if (Object.keys(conditions)[0] !== 'types')
        problems.push(`${pkg.dir}: export '${subpath}' does not list "types" first`);
      for (const [condition, file] of Object.entries(conditions)) {
        if (typeof file !== 'string') continue;
        const source = sourceOf(file);
        if (!fs.existsSync(path.join(root, pkg.dir, source)))
          problems.push(`${pkg.dir}: export '${subpath}' (${condition}) has no source ${source}`);
      }
    }
  }
  return problems;
}

/** Reads every source file under `root` and lists its imports. */
export function scanImports(root: string): ImportSite[] {
  return listSourceFiles(root).flatMap((file) =>
    importsOf(file, fs.readFileSync(path.join(root, file), 'utf8')).map((site) => ({
      ...site,
      file: posix(site.file),
    })),
  );
}

/** One `resolve.alias` entry of vitest.config.mts. */
export interface AliasEntry {
  readonly find: RegExp;
  readonly replacement: string;
}

/**
 * Entry points the vitest alias does not send to the source file they compile from: tests importing them
 * would run `dist/` (stale, or missing before a build) instead of the code under test.
 */
export function aliasProblems(
  root: string,
  packages: readonly WorkspacePackage[],
  alias: readonly AliasEntry[],
): string[] {
  const problems: string[] = [];
  for (const pkg of packages) {
    if (typeof pkg.exports !== 'object' || pkg.exports === null) continue;
    for (const [subpath, target] of Object.entries(pkg.exports as Record<string, unknown>)) {
      const types = (target as Record<string, unknown> | null)?.types;
      if (typeof types !== 'string') continue;
      const specifier = `${pkg.name}${subpath.slice(1)}`;
      const expected = path.join(root, pkg.dir, sourceOf(types));
      const entry = alias.find((a) => a.find.test(specifier));
      const resolved = entry ? specifier.replace(entry.find, entry.replacement) : undefined;
      if (resolved !== expected)
        problems.push(`${specifier}: the vitest alias gives ${resolved ?? 'nothing'}, not ${expected}`);
    }
  }
  return problems;
}

/**
 * Built code (`src/`) importing another workspace package without declaring it: a missing `dependencies`
 * entry breaks an install of the package alone, a missing tsconfig reference lets `tsc -b` build the
 * packages in the wrong order.
 */
export function declarationProblems(
  root: string,
  packages: readonly WorkspacePackage[],
  sites: readonly ImportSite[],
): string[] {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const problems: string[] = [];
  for (const pkg of packages) {
    const tsconfigPath = path.join(root, pkg.dir, 'tsconfig.json');
    if (!fs.existsSync(tsconfigPath)) continue;
    const tsconfig = ts.readConfigFile(tsconfigPath, ts.sys.readFile).config as {
      references?: { path: string }[];
    };
    const references = new Set(
      (tsconfig.references ?? []).map((ref) => path.posix.normalize(path.posix.join(pkg.dir, ref.path))),
    );
    const manifest = JSON.parse(fs.readFileSync(path.join(root, pkg.dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const imported = new Set(
      sites
        .filter((site) => site.file.startsWith(`${pkg.dir}/src/`))
        .map((site) => byName.get(site.specifier.split('/').slice(0, 2).join('/')))
        .filter((target) => target !== undefined && target.dir !== pkg.dir),
    );
    for (const target of imported) {
      if (target === undefined) continue;
      if (!references.has(target.dir))
        problems.push(
          `${pkg.dir}: src imports ${target.name}, tsconfig.json has no reference to ${target.dir}`,
        );
      if (manifest.dependencies?.[target.name] === undefined)
        problems.push(`${pkg.dir}: src imports ${target.name}, package.json does not depend on it`);
    }
  }
  return problems;
}
