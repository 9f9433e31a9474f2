import { spawn } from 'node:child_process';
import readline from 'node:readline';

/** What {@link createLocalAdmin} reports, line by line, to the runner's stderr. */
export type LogLine = (line: string) => void;

/**
 * Creates the local stack's admin account through the auth service's operator command
 * (`services/auth/dist/admin.js create <email>`), so the password is a random one printed once here instead
 * of a default anybody could claim by registering the address first. Resolves true when the account was
 * created or already is an admin; never throws: the stack runs on without an admin if this fails.
 */
export async function createLocalAdmin(
  entry: string,
  email: string,
  env: Readonly<Record<string, string>>,
  log: LogLine,
): Promise<boolean> {
  const child = spawn(process.execPath, [entry, 'create', email], {
    env: { ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => lines.push(line));
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', resolve);
    child.once('error', () => resolve(null));
  });
  clearTimeout(timer);
  // The output streams close after exit; let readline deliver their last lines.
  await new Promise((resolve) => setImmediate(resolve));
  for (const line of lines) {
    const password = /^password: (.+)$/.exec(line);
    log(password ? `admin ${email} password (shown once, not stored anywhere): ${password[1]}` : line);
  }
  if (code !== 0) log(`no admin account created (exit ${code}); see services/auth/README.md "Admins"`);
  return code === 0;
}
