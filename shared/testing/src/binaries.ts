import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Thrown when a server binary is missing; the message carries the install commands, not a stack. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Absolute path of `redis-server` or `redis-cli`, or a MissingBinaryError explaining how to install it. */
export function redisBinary(name: 'redis-server' | 'redis-cli'): string {
  const found = onPath(name);
  if (found) return found;
  throw new MissingBinaryError(
    `${name} was not found on PATH. Install Redis 7 or newer:\n` +
      '  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools\n' +
      '  macOS:         brew install redis',
  );
}

/** The bin directory of the newest PostgreSQL installed, or a MissingBinaryError explaining how to install it. */
export function postgresBinDir(): string {
  const debianRoot = '/usr/lib/postgresql';
  if (fs.existsSync(debianRoot)) {
    const versions = fs
      .readdirSync(debianRoot)
      .filter((v) => fs.existsSync(path.join(debianRoot, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debianRoot, versions[0], 'bin');
  }
  const onPathPostgres = onPath('postgres');
  if (onPathPostgres) return path.dirname(onPathPostgres);
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (fs.existsSync(path.join(bindir, 'postgres'))) return bindir;
  } catch {
    // no pg_config either
  }
  throw new MissingBinaryError(
    'PostgreSQL server binaries (initdb, postgres) were not found. Install PostgreSQL 15 or newer:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y postgresql\n' +
      '  macOS:         brew install postgresql@16',
  );
}
