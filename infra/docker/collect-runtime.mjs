// Copies what one service needs at run time into an output folder, keeping the workspace layout:
// package.json and the compiled dist/ (JavaScript, Lua, SQL; no declarations, maps or build info) of the
// service and of every workspace package it depends on, transitively, through `dependencies` only.
//
//   node infra/docker/collect-runtime.mjs services/user /out
//
// Run from the repository root after `tsc -b services/<name>` and scripts/copy-assets.mjs.
import fs from 'node:fs';
import path from 'node:path';

const RUNTIME_FILE = /\.(?:js|cjs|mjs|json|lua|sql)$/;

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Workspace package name → folder, from the root package.json's `workspaces` (`dir` or `dir/*`). */
function workspaceFolders() {
  const folders = new Map();
  for (const pattern of readJson('package.json').workspaces ?? []) {
    const dirs = pattern.endsWith('/*')
      ? fs
          .readdirSync(pattern.slice(0, -2), { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => path.join(pattern.slice(0, -2), entry.name))
      : [pattern];
    for (const dir of dirs) {
      const manifest = path.join(dir, 'package.json');
      if (fs.existsSync(manifest)) folders.set(readJson(manifest).name, dir);
    }
  }
  return folders;
}

function runtimeFolders(serviceDir) {
  const folders = workspaceFolders();
  const needed = new Set();
  const visit = (dir) => {
    if (needed.has(dir)) return;
    needed.add(dir);
    for (const dependency of Object.keys(readJson(path.join(dir, 'package.json')).dependencies ?? {})) {
      const folder = folders.get(dependency);
      if (folder) visit(folder);
    }
  };
  visit(serviceDir);
  return [...needed];
}

function copyRuntimeFiles(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyRuntimeFiles(source, target);
    else if (RUNTIME_FILE.test(entry.name)) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

const [serviceDir, outDir] = process.argv.slice(2);
if (!serviceDir || !outDir) {
  process.stderr.write('usage: node collect-runtime.mjs services/<name> <out dir>\n');
  process.exit(2);
}
for (const dir of runtimeFolders(path.normalize(serviceDir))) {
  if (!fs.existsSync(path.join(dir, 'dist'))) {
    process.stderr.write(`collect-runtime: ${dir}/dist is missing; build it first\n`);
    process.exit(1);
  }
  fs.mkdirSync(path.join(outDir, dir), { recursive: true });
  fs.copyFileSync(path.join(dir, 'package.json'), path.join(outDir, dir, 'package.json'));
  copyRuntimeFiles(path.join(dir, 'dist'), path.join(outDir, dir, 'dist'));
  process.stdout.write(`collect-runtime: ${dir}\n`);
}
