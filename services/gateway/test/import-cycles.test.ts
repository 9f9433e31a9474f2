import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// scripts/check-cycles.mjs over every workspace's sources: the gateway's identity/ modules once imported
// each other (the principal type lived with the authenticator that used the cache that needed it).
const root = path.join(__dirname, '..', '..', '..');
const script = path.join(root, 'scripts', 'check-cycles.mjs');
const sources = ['shared', 'services', 'infra']
  .flatMap((dir) => fs.readdirSync(path.join(root, dir)).map((name) => path.join(root, dir, name, 'src')))
  .concat(path.join(root, 'loadtest', 'src'))
  .filter((dir) => fs.existsSync(dir));

describe('import cycles', () => {
  it.each(sources.map((dir) => [path.relative(root, dir), dir]))(
    'when the sources of %s are scanned, then no module imports itself through others',
    (_name, dir) => {
      const run = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
      expect(run.stdout).toMatch(/^0 import cycle\(s\)/m);
      expect(run.status).toBe(0);
    },
  );

  it('when two modules import each other, then the check finds the cycle', () => {
    const dir = fs.mkdtempSync(path.join(root, 'node_modules', '.cache-cycle-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.ts'), "import type { B } from './b';\nexport type A = B;\n");
      fs.writeFileSync(path.join(dir, 'b.ts'), "import type { A } from './a';\nexport type B = A | 1;\n");
      const run = spawnSync(process.execPath, [script, dir], { encoding: 'utf8' });
      expect(run.stdout).toContain('a.ts → b.ts → a.ts');
      expect(run.status).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
