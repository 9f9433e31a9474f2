import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/** The repository root (tests read the committed compose, Docker, Redis and Grafana files from it). */
export const repoRoot = path.resolve(__dirname, '../../../..');

/** An absolute path inside the repository. */
export function repoPath(...parts: string[]): string {
  return path.join(repoRoot, ...parts);
}

/** A repository file as text. */
export function readRepoFile(...parts: string[]): string {
  return fs.readFileSync(repoPath(...parts), 'utf8');
}

/** The development values of `.env.example`, as `docker compose` reads them. */
export function envExample(): Readonly<Record<string, string>> {
  const parsed = parseEnv(readRepoFile('.env.example'));
  return Object.fromEntries(
    Object.entries(parsed).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** One `.env.example` value; throws when it is missing, so a renamed variable fails loudly. */
export function envExampleValue(name: string): string {
  const value = envExample()[name];
  if (value === undefined) throw new Error(`.env.example has no ${name}`);
  return value;
}
