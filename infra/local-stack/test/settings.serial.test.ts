import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { isPortFree, type NodeService, startNodeService } from '@redwire/launchers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_PORT_VARIABLES } from '../src/stack-config';

// `npm start` from the outside: the compiled runner with settings in its environment, as a user sets them.

const repoRoot = path.resolve(__dirname, '../../..');
const runner = path.join(repoRoot, 'infra/local-stack/dist/main.js');

type Ports = Record<(typeof STACK_PORT_VARIABLES)[number], number>;

/** Free ports of 26000-26999, away from npm start's defaults, starting at a random offset. */
async function stackPorts(): Promise<Ports> {
  const ports = {} as Ports;
  let candidate = 26000 + Math.floor(Math.random() * 900);
  for (const name of STACK_PORT_VARIABLES) {
    while (!(await isPortFree(candidate))) candidate++;
    ports[name] = candidate++;
  }
  return ports;
}

interface Run {
  readonly service: NodeService;
  readonly stderr: string[];
  readonly stdout: string[];
}

/** Starts the runner; with `ready`, resolves once it printed its ready line. */
async function run(
  env: Readonly<Record<string, string>>,
  ports: Ports,
  dataDir: string,
  { ready = true } = {},
): Promise<Run> {
  if (!fs.existsSync(runner)) throw new Error('run `npm run build` before this test: the runner is compiled');
  const childEnv: Record<string, string | undefined> = {
    ...process.env,
    REDWIRE_ADMIN_EMAIL: '',
    REDWIRE_DATA_DIR: dataDir,
  };
  for (const [name, port] of Object.entries(ports)) childEnv[name] = String(port);
  const stderr: string[] = [];
  const stdout: string[] = [];
  const service = await startNodeService({
    name: 'npm start',
    entry: runner,
    env: { ...childEnv, ...env },
    onLine: (line, stream) => (stream === 'stderr' ? stderr : stdout).push(line),
    ...(ready ? { readyLine: /^redwire ready: /, readyTimeoutMs: 120_000 } : {}),
    graceMs: 30_000,
  });
  return { service, stderr, stdout };
}

/** A data dir PostgreSQL can use also when we are root (it runs as `postgres` then). */
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redwire-settings-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

const login = (gateway: string, padding = '') =>
  fetch(`${gateway}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'nobody@example.com', password: `not-the-password-123${padding}` }),
  });

describe('settings passed through npm start', () => {
  let stack: Run;
  let ports: Ports;
  let dir: string;
  beforeAll(async () => {
    ports = await stackPorts();
    dir = dataDir();
    stack = await run(
      {
        LOG_LEVEL: 'warn',
        // A gateway setting the runner does not own: it must reach the gateway as given.
        MAX_REQUEST_BODY: '100',
        // Settings the runner owns: replaced, and said so.
        PORT: '1',
        REDIS_URL: 'redis://127.0.0.1:1',
      },
      ports,
      dir,
    );
  }, 150_000);
  afterAll(async () => {
    await stack?.service.stop('SIGINT');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('when a service setting is in the environment of npm start, then the service runs with it', async () => {
    const gateway = `http://127.0.0.1:${ports.REDWIRE_GATEWAY_PORT}`;
    const small = await login(gateway);
    expect(small.status).toBe(401);
    const large = await login(gateway, 'x'.repeat(100));
    expect(large.status).toBe(413);
    expect(((await large.json()) as { code: string }).code).toBe('E_PAYLOAD_TOO_LARGE');
  });

  it('when the environment sets what the runner owns, then each is announced once on stderr and the stack runs on its own values', async () => {
    const notices = (key: string) =>
      stack.stderr.filter((line) =>
        line.startsWith(`[stack] ${key} from the environment is not passed on: `),
      );
    expect(notices('PORT')).toHaveLength(1);
    expect(notices('REDIS_URL')).toHaveLength(1);
    expect(stack.stderr.join('\n')).not.toContain('redis://127.0.0.1:1');
    const ready = await fetch(`http://127.0.0.1:${ports.REDWIRE_GATEWAY_ADMIN_PORT}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('when the environment replaces a runner default, then the line naming the defaults replaced lists it', () => {
    const line = stack.stderr.find((l) => l.includes("from the environment, over the runner's defaults: "));
    expect(line).toContain('LOG_LEVEL');
  });
});

describe('ports npm start cannot have', () => {
  it('when a port the user asked for is taken, then the runner refuses with one line naming it and starts nothing', async () => {
    const ports = await stackPorts();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(ports.REDWIRE_GATEWAY_PORT, '127.0.0.1', resolve));
    const dir = dataDir();
    try {
      const stack = await run({}, ports, dir, { ready: false });
      expect((await stack.service.exited).code).toBe(1);
      const refusal = stack.stderr.filter((line) => line.includes(`port ${ports.REDWIRE_GATEWAY_PORT}`));
      expect(refusal).toEqual([
        `[stack] port ${ports.REDWIRE_GATEWAY_PORT} (REDWIRE_GATEWAY_PORT) is in use by another process: stop it, or choose another port (REDWIRE_GATEWAY_PORT=<port>)`,
      ]);
      expect(stack.stderr.some((line) => /^\s+at /.test(line))).toBe(false);
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      holder.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('when two port settings name the same port, then the runner refuses before starting anything', async () => {
    const ports = await stackPorts();
    const dir = dataDir();
    try {
      const stack = await run({}, { ...ports, REDWIRE_AUTH_PORT: ports.REDWIRE_USER_PORT }, dir, {
        ready: false,
      });
      expect((await stack.service.exited).code).toBe(1);
      expect(stack.stderr.join('\n')).toContain(
        `REDWIRE_USER_PORT and REDWIRE_AUTH_PORT are all ${ports.REDWIRE_USER_PORT}: give each its own port`,
      );
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
