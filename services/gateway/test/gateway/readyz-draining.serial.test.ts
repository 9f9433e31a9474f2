import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '@redwire/launchers';
import { sharedServers } from '@redwire/testing/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { SIGNING_KEY } from '../support/gateway-stack';
import { UpstreamStub } from '../support/upstream-stub';

// Outside in: the compiled gateway as a process, SIGTERM while a request is in flight.
const MAIN = path.join(__dirname, '..', '..', 'dist', 'main.js');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let child: ChildProcess | undefined;
const auth = new UpstreamStub();
afterAll(async () => {
  child?.kill('SIGKILL');
  await auth.stop();
});

describe('the gateway process on SIGTERM', () => {
  it('when a slow request is in flight, then /readyz answers 503 draining until it finished, and the process exits 0', async () => {
    if (!fs.existsSync(MAIN))
      throw new Error('run `npm run build` before this test: the gateway is compiled');
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let arrived: () => void = () => {};
    const upstreamSaw = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    auth.behaviour = (_req, res) => {
      arrived();
      void released.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"slow":true}');
      });
    };
    const authUrl = await auth.start();
    const [port, adminPort] = [await freePort(), await freePort()];
    const proc = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        REDIS_URL: sharedServers().redisUrl,
        REDIS_NAMESPACE: `drain-${process.pid}`,
        IDENTITY_SIGNING_KEY: SIGNING_KEY,
        USER_SERVICE_URL: authUrl,
        AUTH_SERVICE_URL: authUrl,
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        SESSION_CHECK_DEADLINE: '1000',
        RATE_LIMIT_DEADLINE: '1000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
    const admin = `http://127.0.0.1:${adminPort}`;
    for (let i = 0; ; i++) {
      const ready = await fetch(`${admin}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      if (i > 200) throw new Error('the gateway did not become ready');
      await sleep(100);
    }

    const slow = fetch(`http://127.0.0.1:${port}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await upstreamSaw;
    proc.kill('SIGTERM');
    await sleep(300);
    const draining = await fetch(`${admin}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'down', draining: true, checks: {} });
    // The public port takes no new connection meanwhile.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    release();
    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ slow: true });
    expect(await exited).toBe(0);
  });
});
