import net from 'node:net';
import { createShutdown, type RunningHttpServer, startHttpServer } from '@redwire/http-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFixture } from './support/auth-stack';

// The wiring main.ts does: /readyz follows the shutdown handle, so it says "draining" from the signal on,
// while in-flight requests finish (not only once close() ran after the drain). A second listener on the
// same app stands in for a probe that still reaches the process.
let stack: Awaited<ReturnType<typeof authFixture>>;
let probe: RunningHttpServer;
beforeAll(async () => {
  stack = await authFixture();
  probe = await startHttpServer(stack.auth.runtime.app, { port: 0 });
});
afterAll(async () => {
  await probe?.close(1000);
  await stack?.close();
});

describe('the auth service shutting down', () => {
  it('when shutdown starts with a request in flight, then /readyz answers 503 draining while it finishes', async () => {
    const { runtime, server } = stack.auth;
    const shutdown = createShutdown({ signals: false, exit: () => {} });
    runtime.setShuttingDown(() => shutdown.isShuttingDown());
    shutdown.addServer(server.server);
    expect((await fetch(`${probe.url}/readyz`)).status).toBe(200);

    // In flight: the headers are in, the body is not.
    const socket = net.connect(Number(new URL(stack.auth.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const answer = new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      socket.once('close', () => resolve(text));
    });
    socket.write(
      'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    const done = shutdown.shutdown('test');
    const draining = await fetch(`${probe.url}/readyz`);
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'down', draining: true, checks: {} });

    socket.write('}');
    expect(await answer).toMatch(/^HTTP\/1\.1 \d{3} /);
    expect(await done).toBe(0);
  });
});
