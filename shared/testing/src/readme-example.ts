import fs from 'node:fs';
import path from 'node:path';
import { vi } from 'vitest';

/** The first fenced block of `language` in a README, verbatim. Throws when there is none. */
export function firstCodeBlock(readme: string, language = 'ts'): string {
  const block = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``).exec(
    fs.readFileSync(readme, 'utf8'),
  )?.[1];
  if (block === undefined) throw new Error(`${readme} has no \`\`\`${language} block`);
  return block;
}

/**
 * Runs a README's example as written: writes `code` into `scratchDir` (inside the package's own
 * node_modules, so its imports resolve to the versions the package depends on), imports it with `env`
 * set, and returns what it printed with console.log, line by line. The file is removed afterwards.
 */
export async function runExample(
  code: string,
  scratchDir: string,
  env: Readonly<Record<string, string>>,
): Promise<string[]> {
  fs.mkdirSync(scratchDir, { recursive: true });
  const file = path.join(scratchDir, `readme-${process.pid}-${Date.now()}.mts`);
  fs.writeFileSync(file, code);
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  try {
    await import(file);
  } finally {
    log.mockRestore();
    vi.unstubAllEnvs();
    fs.rmSync(file, { force: true });
  }
  return lines;
}
