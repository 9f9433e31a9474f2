// Copies non-TypeScript runtime assets (Lua scripts, SQL migrations) from each package's src/ to dist/,
// keeping their relative paths, because tsc only emits .js.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const assetExtensions = new Set(['.lua', '.sql']);
const packageDirs = ['shared', 'services', 'infra']
  .flatMap((group) => fs.readdirSync(path.join(root, group)).map((name) => path.join(root, group, name)))
  .concat([path.join(root, 'loadtest')])
  .filter((dir) => fs.existsSync(path.join(dir, 'src')));

let copied = 0;
for (const dir of packageDirs) {
  const walk = (from) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const full = path.join(from, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (assetExtensions.has(path.extname(entry.name))) {
        const target = path.join(dir, 'dist', path.relative(path.join(dir, 'src'), full));
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(full, target);
        copied++;
      }
    }
  };
  walk(path.join(dir, 'src'));
}
console.log(`copy-assets: ${copied} files`);
