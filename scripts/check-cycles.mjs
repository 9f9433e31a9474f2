#!/usr/bin/env node
// Reports import cycles among a package's TypeScript sources (relative imports, type-only included):
// `node scripts/check-cycles.mjs services/gateway/src`. Exits 1 when there is one.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? '.');
const files = fs
  .readdirSync(root, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => path.join(root, f));

const edges = new Map();
for (const file of files) {
  const text = fs.readFileSync(file, 'utf8');
  const targets = [];
  for (const [, spec] of text.matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
    const base = path.resolve(path.dirname(file), spec);
    const target = [`${base}.ts`, path.join(base, 'index.ts')].find((t) => fs.existsSync(t));
    if (target) targets.push(target);
  }
  edges.set(file, targets);
}

const cycles = [];
const state = new Map(); // 1: on the stack, 2: done
const stack = [];
function visit(file) {
  state.set(file, 1);
  stack.push(file);
  for (const next of edges.get(file) ?? []) {
    if (state.get(next) === 1) cycles.push([...stack.slice(stack.indexOf(next)), next]);
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(file, 2);
}
for (const file of files) if (!state.has(file)) visit(file);

for (const cycle of cycles) console.log(cycle.map((f) => path.relative(root, f)).join(' → '));
console.log(`${cycles.length} import cycle(s) in ${path.relative(process.cwd(), root) || '.'}`);
process.exit(cycles.length > 0 ? 1 : 0);
