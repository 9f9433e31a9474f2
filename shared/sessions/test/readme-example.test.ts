import fs from 'node:fs';
import path from 'node:path';
import { type RedisServer, startRedisServer } from '@redwire/launchers';
import { firstCodeBlock, runExample } from '@redwire/testing';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README opens with an example that must run as written: this takes its first ```ts block verbatim,
// type-checks it against the package's source, and runs it against a Redis of its own. The scratch file
// sits in this package's node_modules so `ioredis` resolves to the version the package depends on.
const root = path.join(__dirname, '..', '..', '..');
const README = path.join(__dirname, '..', 'README.md');
const scratch = path.join(__dirname, '..', 'node_modules', '.cache', `redwire-readme-${process.pid}`);

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

const firstBlock = () => firstCodeBlock(README);

/** The diagnostics of `file` compiled with the repository's settings, `@redwire/*` taken from source. */
function typeErrors(file: string): string[] {
  const config = path.join(path.dirname(file), 'tsconfig.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      extends: path.join(root, 'tsconfig.base.json'),
      compilerOptions: {
        composite: false,
        declaration: false,
        declarationMap: false,
        noEmit: true,
        paths: { '@redwire/*': [path.join(root, 'shared/*/src/index.ts')] },
      },
      files: [file],
    }),
  );
  const parsed = ts.getParsedCommandLineOfConfigFile(
    config,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error('tsconfig not parsed');
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('the README example', () => {
  it('when the first code block of the README is compiled, then it has no type errors and at most 22 lines', () => {
    const block = firstBlock();
    expect(block.trim().split('\n').length).toBeLessThanOrEqual(22);
    fs.mkdirSync(scratch, { recursive: true });
    const file = path.join(scratch, 'readme-check.mts');
    fs.writeFileSync(file, block);
    expect(typeErrors(file)).toEqual([]);
  }, 120_000);

  it('when the first code block of the README runs against a real Redis, then it signs in, is valid, signs out and is refused', async () => {
    const lines = await runExample(firstBlock(), scratch, { REDIS_URL: server.url });
    expect(lines).toEqual(['user-42 signed in as user', 'refused: unknown']);
    // Nothing else was printed by accident, and the README shows what the block prints.
    expect(fs.readFileSync(README, 'utf8')).toContain(`\`\`\`\n${lines.join('\n')}\n\`\`\``);
  });
});
