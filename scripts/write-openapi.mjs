// Writes docs/openapi.json from the compiled @redwire/contracts (run `npm run build` first; `npm run openapi`
// does both). The gateway serves the same document at /openapi.json; shared/contracts' openapi test fails
// while the committed file differs from what the code generates.
import fs from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '@redwire/contracts';

const root = path.resolve(import.meta.dirname, '..');
const target = path.join(root, 'docs/openapi.json');
fs.writeFileSync(target, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`write-openapi: ${path.relative(root, target)}`);
