#!/usr/bin/env node
// Rewrites the password hashes of a Redis ACL file from the environment and prints the result:
//
//   node --env-file=.env infra/redis/set-acl-passwords.mjs infra/redis/users.acl > /secrets/users.acl
//
// Every `user <name> ... #<sha256>` line gets the SHA-256 of REDIS_<NAME>_PASSWORD (name upper-cased, `-`
// as `_`); the rules themselves are kept as they are. Redis stores only these hashes, so the file holds no
// password, but a weak password can still be guessed from its hash: use long random ones in production.
// Run with .env.example to reproduce the committed development files byte for byte.
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const HASHED_USER = /^user (\S+) (.*)#[0-9a-f]{64}(.*)$/;

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
      if (password.includes('dev-only-')) devValues.push(name);
      const hash = createHash('sha256').update(password, 'utf8').digest('hex');
      return `user ${user} ${before}#${hash}${after}`;
    });
  if (missing.length > 0) {
    process.stderr.write(`set-acl-passwords: not set: ${missing.join(', ')}\n`);
    return 1;
  }
  if (devValues.length > 0) {
    process.stderr.write(`set-acl-passwords: development values in ${devValues.join(', ')}\n`);
  }
  process.stdout.write(lines.join('\n'));
  return 0;
}

process.exitCode = main(process.argv);
