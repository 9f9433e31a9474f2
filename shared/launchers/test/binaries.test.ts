import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MissingBinaryError,
  POSTGRES_BIN_DIR_VARIABLE,
  postgresBinDir,
  postgresBinDirCandidates,
  redisBinary,
} from '@redwire/launchers';
import { afterEach, describe, expect, it } from 'vitest';

// Discovery over a temporary tree standing for `/`: fake executables in the places real installs put them.

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
});

function tree(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-binaries-'));
  roots.push(root);
  return root;
}

/** Creates executable scripts `names` in `root/dir` and returns that folder. */
function executables(root: string, dir: string, names: readonly string[], body = 'exit 0'): string {
  const full = path.join(root, dir);
  fs.mkdirSync(full, { recursive: true });
  for (const name of names) fs.writeFileSync(path.join(full, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return full;
}

const server = ['postgres', 'initdb'];

describe('PostgreSQL discovery', () => {
  it('when Debian and Homebrew keg-only installs coexist, then the newest major wins and the order is versioned installs, PATH, Homebrew unversioned', () => {
    const root = tree();
    const debian15 = executables(root, 'usr/lib/postgresql/15/bin', server);
    const brew17 = executables(root, 'opt/homebrew/opt/postgresql@17/bin', server);
    const intel16 = executables(root, 'usr/local/opt/postgresql@16/bin', server);
    const onPath = executables(root, 'somewhere/bin', server);
    const env = { PATH: onPath };

    expect(postgresBinDirCandidates({ env, root })).toEqual([
      brew17,
      intel16,
      debian15,
      onPath,
      path.join(root, 'opt/homebrew/opt/postgresql/bin'),
      path.join(root, 'opt/homebrew/bin'),
      path.join(root, 'usr/local/opt/postgresql/bin'),
      path.join(root, 'usr/local/bin'),
    ]);
    expect(postgresBinDir({ env, root })).toBe(brew17);
  });

  it('when Debian and Homebrew hold the same major, then Debian comes first, then Apple silicon, then Intel', () => {
    const root = tree();
    const debian = executables(root, 'usr/lib/postgresql/16/bin', server);
    const silicon = executables(root, 'opt/homebrew/opt/postgresql@16/bin', server);
    const intel = executables(root, 'usr/local/opt/postgresql@16/bin', server);
    expect(postgresBinDirCandidates({ env: { PATH: '' }, root }).slice(0, 3)).toEqual([
      debian,
      silicon,
      intel,
    ]);
  });

  it('when only Homebrew linked PostgreSQL into /opt/homebrew/bin (not on PATH), then that folder is found', () => {
    const root = tree();
    const linked = executables(root, 'opt/homebrew/bin', server);
    expect(postgresBinDir({ env: { PATH: '' }, root })).toBe(linked);
  });

  it('when the newest install lacks initdb or its postgres is not executable, then the next one is taken', () => {
    const root = tree();
    executables(root, 'usr/lib/postgresql/17/bin', ['postgres']);
    const broken = executables(root, 'opt/homebrew/opt/postgresql@17/bin', server);
    fs.chmodSync(path.join(broken, 'postgres'), 0o644);
    const usable = executables(root, 'usr/lib/postgresql/15/bin', server);
    expect(postgresBinDir({ env: { PATH: '' }, root })).toBe(usable);
  });

  it(`when ${POSTGRES_BIN_DIR_VARIABLE} is set, then it is the only candidate, ahead of newer installs`, () => {
    const root = tree();
    executables(root, 'opt/homebrew/opt/postgresql@18/bin', server);
    const chosen = executables(root, 'custom/pg/bin', server);
    const env = { PATH: '', [POSTGRES_BIN_DIR_VARIABLE]: chosen };
    expect(postgresBinDirCandidates({ env, root })).toEqual([chosen]);
    expect(postgresBinDir({ env, root })).toBe(chosen);
  });

  it(`when ${POSTGRES_BIN_DIR_VARIABLE} names a folder without the server, then discovery fails naming it instead of taking another install`, () => {
    const root = tree();
    executables(root, 'usr/lib/postgresql/16/bin', server);
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    const env = { PATH: '', [POSTGRES_BIN_DIR_VARIABLE]: empty };
    expect(() => postgresBinDir({ env, root })).toThrow(MissingBinaryError);
    expect(() => postgresBinDir({ env, root })).toThrow(`${POSTGRES_BIN_DIR_VARIABLE}=${empty}`);
  });

  it('when nothing else matches and pg_config is on PATH, then its --bindir is used', () => {
    const root = tree();
    const bindir = executables(root, 'opt/pg/bin', server);
    const tools = executables(root, 'tools', ['pg_config'], `echo ${bindir}`);
    expect(postgresBinDir({ env: { PATH: tools }, root })).toBe(bindir);
  });

  it('when no PostgreSQL is installed, then a MissingBinaryError carries the Debian and Homebrew install commands', () => {
    const root = tree();
    const attempt = () => postgresBinDir({ env: { PATH: '' }, root });
    expect(attempt).toThrow(MissingBinaryError);
    expect(attempt).toThrow(/apt-get install -y postgresql[\s\S]*brew install postgresql@/);
  });
});

describe('Redis discovery', () => {
  it('when redis-server is on PATH and in Homebrew, then PATH wins; without it on PATH, Homebrew is found', () => {
    const root = tree();
    const onPath = executables(root, 'somewhere/bin', ['redis-server']);
    const brew = executables(root, 'opt/homebrew/bin', ['redis-server']);
    expect(redisBinary('redis-server', { env: { PATH: onPath }, root })).toBe(
      path.join(onPath, 'redis-server'),
    );
    expect(redisBinary('redis-server', { env: { PATH: '' }, root })).toBe(path.join(brew, 'redis-server'));
  });

  it('when redis-cli is nowhere, then a MissingBinaryError says how to install it', () => {
    const root = tree();
    expect(() => redisBinary('redis-cli', { env: { PATH: '' }, root })).toThrow(/brew install redis/);
  });
});
