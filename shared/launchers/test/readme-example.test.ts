import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(__dirname, '../../..');

describe('the README example', () => {
  it('when the opening example runs as written, then it starts both servers and the service and prints its answer', async () => {
    if (!fs.existsSync(path.join(repoRoot, 'shared/launchers/dist/index.js'))) {
      throw new Error('run `npm run build` before this test: the example imports the compiled package');
    }
    const readme = fs.readFileSync(path.join(__dirname, '../README.md'), 'utf8');
    const example = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const child = spawn(process.execPath, ['--input-type=module'], { cwd: repoRoot, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.stdin.end(example);
    expect(await exited, stderr).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^redis at redis:\/\/127\.0\.0\.1:\d+, postgres at postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/,
    );
    expect(lines[1]).toBe('ok');
  }, 90_000);
});
