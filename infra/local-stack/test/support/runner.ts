import fs from 'node:fs';
import path from 'node:path';
import { freeClusterPort, freePort, type NodeService, startNodeService } from '@redwire/launchers';
import { STACK_PORT_VARIABLES } from '../../src/stack-config';

const repoRoot = path.resolve(__dirname, '../../../..');
const runnerEntry = path.join(repoRoot, 'infra/local-stack/dist/main.js');

/** `npm start` as a user runs it: the compiled runner, every port moved to a free one. */
export interface Runner {
  readonly service: NodeService;
  readonly pid: number;
  readonly ports: Record<(typeof STACK_PORT_VARIABLES)[number], number>;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly readyLine: string;
  /** The runner's exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts the compiled runner with `env` over the test's environment and waits for its ready line. The
 * state Redis's port is picked with a free bus port (+10000) too, so the cluster topology can use it.
 */
export async function startRunner(env: Readonly<Record<string, string>> = {}): Promise<Runner> {
  if (!fs.existsSync(runnerEntry))
    throw new Error('run `npm run build` before this test: the runner is compiled');
  const ports = {} as Runner['ports'];
  for (const name of STACK_PORT_VARIABLES)
    ports[name] = name === 'REDWIRE_REDIS_PORT' ? await freeClusterPort() : await freePort();
  const full: Record<string, string | undefined> = { ...process.env, LOG_LEVEL: 'warn', ...env };
  for (const [name, port] of Object.entries(ports)) full[name] = String(port);
  delete full.REDWIRE_DATA_DIR;
  const stdout: string[] = [];
  const stderr: string[] = [];
  const service = await startNodeService({
    name: 'npm start',
    entry: runnerEntry,
    env: full,
    onLine: (line, stream) => (stream === 'stderr' ? stderr : stdout).push(line),
    readyLine: /^redwire ready:/,
    readyTimeoutMs: 90_000,
    graceMs: 60_000,
  });
  return {
    service,
    pid: service.pid as number,
    ports,
    stdout,
    stderr,
    readyLine: service.readyLine as string,
    exited: service.exited.then((exit) => exit.code),
  };
}

/** An account to register; `signUp` makes one up when none is given. */
export interface NewAccount {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/** Registers an account through `gateway` and logs it in, as the README's first requests do. */
export async function signUp(
  gateway: string,
  account: NewAccount = {
    email: `ada-${Date.now()}@example.com`,
    password: 'correct horse battery staple',
    name: 'Ada',
  },
): Promise<{ id: string; token: string }> {
  const json = { 'content-type': 'application/json' };
  const registered = await fetch(`${gateway}/auth/register`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(account),
  });
  if (registered.status !== 201) throw new Error(`register answered ${registered.status}`);
  const login = await fetch(`${gateway}/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ email: account.email, password: account.password }),
  });
  if (login.status !== 200) throw new Error(`login answered ${login.status}`);
  const body = (await login.json()) as { user: { id: string }; token: string };
  return { id: body.user.id, token: body.token };
}
