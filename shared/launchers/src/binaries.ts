import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Thrown when a server binary is missing; the message carries the install commands, not a stack. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
}

/** Where binary discovery looks. Both fields exist so tests can point it at a temporary tree. */
export interface BinaryDiscoveryOptions {
  /** `PATH` and `REDWIRE_POSTGRES_BIN_DIR` are read from here. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Prefix of the fixed install locations (`/usr/lib/postgresql`, `/opt/homebrew`, …). @default '/' */
  readonly root?: string;
}

/** Names the environment override of PostgreSQL discovery: the folder holding `postgres` and `initdb`. */
export const POSTGRES_BIN_DIR_VARIABLE = 'REDWIRE_POSTGRES_BIN_DIR';

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
  return (env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  return pathDirs(env)
    .map((dir) => path.join(dir, name))
    .find(isExecutable);
}

/** Homebrew's two prefixes: Apple silicon, then Intel. Linked formulae land in `bin`, keg-only ones in `opt`. */
const HOMEBREW_PREFIXES = ['/opt/homebrew', '/usr/local'];

/**
 * Absolute path of `redis-server` or `redis-cli`: on PATH, else in Homebrew's `bin` (not on PATH in a
 * non-login shell); otherwise a MissingBinaryError explaining how to install it.
 */
export function redisBinary(
  name: 'redis-server' | 'redis-cli',
  options: BinaryDiscoveryOptions = {},
): string {
  const env = options.env ?? process.env;
  const root = options.root ?? '/';
  const found =
    onPath(name, env) ??
    HOMEBREW_PREFIXES.flatMap((prefix) => [
      path.join(root, prefix, 'bin', name),
      path.join(root, prefix, 'opt', 'redis', 'bin', name),
    ]).find(isExecutable);
  if (found) return found;
  throw new MissingBinaryError(
    `${name} was not found on PATH or in Homebrew's folders. Install Redis 7 or newer:\n` +
      '  Debian/Ubuntu: sudo apt-get install -y redis-server redis-tools\n' +
      '  macOS:         brew install redis',
  );
}

/** `<dir>/<prefix><major>/bin` for every versioned install under `dir`, with its major version. */
function versionedBinDirs(dir: string, prefix: string): { version: number; bin: string }[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    if (!entry.startsWith(prefix)) return [];
    const version = Number(entry.slice(prefix.length));
    return Number.isFinite(version) && entry.length > prefix.length
      ? [{ version, bin: path.join(dir, entry, 'bin') }]
      : [];
  });
}

/**
 * Every folder PostgreSQL discovery tries, in order (a folder is taken when it holds an executable
 * `postgres` and `initdb`):
 * 1. `REDWIRE_POSTGRES_BIN_DIR`, when set (and then only it);
 * 2. versioned installs, the newest major first: Debian/Ubuntu's `/usr/lib/postgresql/<N>/bin`, Homebrew's
 *    keg-only `/opt/homebrew/opt/postgresql@<N>/bin` and `/usr/local/opt/postgresql@<N>/bin` (in that
 *    order for the same major);
 * 3. the folder of `postgres` on PATH;
 * 4. Homebrew's unversioned formula and linked binaries: `<prefix>/opt/postgresql/bin`, `<prefix>/bin`
 *    for `/opt/homebrew`, then `/usr/local`;
 * 5. `pg_config --bindir`, when `pg_config` is on PATH (run only if nothing before matched).
 */
export function postgresBinDirCandidates(options: BinaryDiscoveryOptions = {}): string[] {
  const env = options.env ?? process.env;
  const root = options.root ?? '/';
  const override = env[POSTGRES_BIN_DIR_VARIABLE];
  if (override) return [path.resolve(override)];
  const versioned = [
    ...versionedBinDirs(path.join(root, '/usr/lib/postgresql'), ''),
    ...HOMEBREW_PREFIXES.flatMap((prefix) => versionedBinDirs(path.join(root, prefix, 'opt'), 'postgresql@')),
  ];
  // A stable sort keeps Debian before Homebrew and Apple silicon before Intel for one major.
  versioned.sort((a, b) => b.version - a.version);
  const postgresOnPath = onPath('postgres', env);
  return [
    ...versioned.map((v) => v.bin),
    ...(postgresOnPath ? [path.dirname(postgresOnPath)] : []),
    ...HOMEBREW_PREFIXES.flatMap((prefix) => [
      path.join(root, prefix, 'opt', 'postgresql', 'bin'),
      path.join(root, prefix, 'bin'),
    ]),
  ];
}

const hasServer = (dir: string) =>
  isExecutable(path.join(dir, 'postgres')) && isExecutable(path.join(dir, 'initdb'));

/**
 * The bin folder of the PostgreSQL to run (see {@link postgresBinDirCandidates} for the order), or a
 * MissingBinaryError explaining how to install one.
 */
export function postgresBinDir(options: BinaryDiscoveryOptions = {}): string {
  const env = options.env ?? process.env;
  const candidates = postgresBinDirCandidates(options);
  const found = candidates.find(hasServer);
  if (found) return found;
  const override = env[POSTGRES_BIN_DIR_VARIABLE];
  if (override) {
    throw new MissingBinaryError(
      `${POSTGRES_BIN_DIR_VARIABLE}=${override} holds no executable postgres and initdb; point it at the bin folder of a PostgreSQL 15 or newer install, or unset it`,
    );
  }
  const pgConfig = onPath('pg_config', env);
  if (pgConfig) {
    try {
      const bindir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8', env }).trim();
      if (hasServer(bindir)) return bindir;
    } catch {
      // a broken pg_config: fall through to the message
    }
  }
  throw new MissingBinaryError(
    'PostgreSQL server binaries (initdb, postgres) were not found. Install PostgreSQL 15 or newer:\n' +
      '  Debian/Ubuntu: sudo apt-get install -y postgresql\n' +
      '  macOS:         brew install postgresql@17\n' +
      `or set ${POSTGRES_BIN_DIR_VARIABLE} to the folder holding them.`,
  );
}
