#!/usr/bin/env node
// Rewrites the password hashes of a Redis ACL file from the environment and prints the result:
//
//   mkdir -p secrets && node --env-file=.env infra/redis/set-acl-passwords.mjs infra/redis/users.acl > secrets/users.acl
//
// Every `user <name> ... #<sha256>` line gets the SHA-256 of REDIS_<NAME>_PASSWORD (name upper-cased, `-`
// as `_`); the rules themselves are kept as they are. Redis stores only these hashes, so the file holds no
// password, but a weak password can still be guessed from its hash: use long random ones in production.
// Compose splices each password into a redis:// URL unencoded, so a password that is not URL-safe is refused.
// Run with .env.example to reproduce the committed development files byte for byte.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const HASHED_USER = /^user (\S+) (.*)#[0-9a-f]{64}(.*)$/;
/** RFC 3986 unreserved characters: what a URL carries without encoding (`openssl rand -hex 32`). */
const URL_SAFE = /^[A-Za-z0-9._~-]+$/;

function envName(user) {
  return `REDIS_${user.toUpperCase().replaceAll('-', '_')}_PASSWORD`;
}

function main(argv) {
  const file = argv[2];
  if (!file) {
    process.stderr.write('usage: node --env-file=.env set-acl-passwords.mjs <acl file>\n');
    return 2;
  }
  const missing = [];
  const devValues = [];
  const unsafe = [];
  const lines = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => {
      const match = HASHED_USER.exec(line);
      if (!match) return line;
      const [, user, before, after] = match;
      const name = envName(user);
      const password = process.env[name];
      if (!password) {
        missing.push(name);
        return line;
      }
      // Compose splices the same value into redis://<user>:<password>@... unencoded.
      if (!URL_SAFE.test(password)) unsafe.push(name);
      if (password.includes('dev-only-')) devValues.push(name);
      const hash = createHash('sha256').update(password, 'utf8').digest('hex');
      return `user ${user} ${before}#${hash}${after}`;
    });
  if (missing.length > 0) {
    process.stderr.write(`set-acl-passwords: not set: ${missing.join(', ')}\n`);
    return 1;
  }
  if (unsafe.length > 0) {
    process.stderr.write(
      `set-acl-passwords: not URL-safe (use letters, digits, - . _ ~; e.g. openssl rand -hex 32): ${unsafe.join(', ')}\n`,
    );
    return 1;
  }
  if (devValues.length > 0) {
    process.stderr.write(`set-acl-passwords: development values in ${devValues.join(', ')}\n`);
  }
  process.stdout.write(lines.join('\n'));
  return 0;
}

process.exitCode = main(process.argv);
