// The operator's admin command, run with the service's own environment next to a running deployment:
//
//   node dist/admin.js grant <email>    an existing, active account gets role admin
//   node dist/admin.js create <email>   a new admin account with a generated password, printed once
//
// compose: `docker compose run --rm auth node dist/admin.js grant ada@example.com`. Exit codes: 0 done (or
// nothing to do), 1 failed, 2 usage, 3 `create` found the address registered by an account that is not admin.

import { createLogger } from '@redwire/observability';
import { waitForReady } from '@redwire/redis-kit';
import { z } from 'zod';
import { createAdmin, grantAdmin } from './accounts/admin-commands';
import { createAuthRuntime } from './auth.runtime';
import { loadAuthConfig } from './config';

const USAGE = 'usage: node dist/admin.js grant <email> | create <email>\n';

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

async function main(argv: readonly string[]): Promise<number> {
  const [command, email, ...rest] = argv;
  if ((command !== 'grant' && command !== 'create') || email === undefined || rest.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  const config = loadAuthConfig(process.env);
  // Log lines go to stderr: stdout carries only the command's result (and `create`'s password).
  const logger = createLogger({ service: 'redwire-auth-admin', level: 'warn', destination: process.stderr });
  const runtime = createAuthRuntime(config, { logger });
  try {
    // The role change reaches live sessions through Redis; if Redis is down the row still commits and the
    // running service's reconciler carries it over.
    await waitForReady(runtime.state, 5000).catch(() => err('state Redis not reachable; continuing'));
    if (command === 'grant') {
      const outcome = await grantAdmin(runtime, email);
      switch (outcome.kind) {
        case 'granted':
          out(`granted role admin to ${email} (${outcome.id})`);
          return 0;
        case 'already_admin':
          out(`${email} (${outcome.id}) is already an admin`);
          return 0;
        case 'no_account':
          err(`no account has the email ${email}: register it first, then grant`);
          return 1;
        case 'not_active':
          err(`the account of ${email} is ${outcome.status}, not active`);
          return 1;
      }
    }
    const outcome = await createAdmin(runtime, email);
    if (outcome.kind === 'created') {
      out(`created admin ${email} (${outcome.id})`);
      out(`password: ${outcome.password}`);
      return 0;
    }
    if (outcome.role === 'admin') {
      out(`${email} (${outcome.id}) exists and is an admin; nothing changed`);
      return 0;
    }
    err(
      `${email} is registered (${outcome.id}) with role ${outcome.role}; not promoted. If you know who owns ` +
        'it, run `grant`; otherwise delete it or choose another address.',
    );
    return 3;
  } catch (error) {
    if (error instanceof z.ZodError) {
      err('not a valid email address');
      return 2;
    }
    throw error;
  } finally {
    await runtime.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Only the message: a driver error may carry the connection string (and its password) in other fields.
    err(`admin command failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
