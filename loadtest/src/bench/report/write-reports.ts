import fs from 'node:fs/promises';
import path from 'node:path';
import type { BenchResults } from '../core/bench.types';
import { renderHtml } from './html.report';
import { renderMarkdown } from './markdown.report';

/** Writes each `[name, content]` into `outDir` (created if needed), write-then-rename; returns the paths. */
export async function writeFilesAtomically(
  outDir: string,
  files: readonly (readonly [string, string])[],
): Promise<string[]> {
  await fs.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, content] of files) {
    const file = path.join(outDir, name);
    // Write-then-rename, so a reader never sees half a report.
    await fs.writeFile(`${file}.tmp`, content);
    await fs.rename(`${file}.tmp`, file);
    written.push(file);
  }
  return written;
}

/** Writes latest.json, latest.md and latest.html into `outDir` (created if needed); returns their paths. */
export function writeReports(results: BenchResults, outDir: string): Promise<string[]> {
  return writeFilesAtomically(outDir, [
    ['latest.json', `${JSON.stringify(results, null, 2)}\n`],
    ['latest.md', renderMarkdown(results)],
    ['latest.html', renderHtml(results)],
  ]);
}
