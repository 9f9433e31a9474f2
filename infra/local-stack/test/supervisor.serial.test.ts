import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProcessExit } from '@redwire/launchers';
import { pollUntil } from '@redwire/launchers';
import { afterEach, describe, expect, it } from 'vitest';
import { type SupervisedChild, Supervisor, type SupervisorEvent } from '../src/supervisor';

// The supervisor against real processes: a `node` child that idles until it is signalled.

function idleChild(name: string, starts: number[] = []): SupervisedChild {
  return {
    name,
    async start() {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      starts.push(Date.now());
      const exited = new Promise<ProcessExit>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      return {
        pid: child.pid,
        exited,
        async stop() {
          child.kill('SIGTERM');
          await exited;
        },
      };
    },
  };
}

const until = (probe: () => boolean, what: string, timeoutMs = 10_000) =>
  pollUntil(probe, { what, timeoutMs, intervalMs: 20 });

const alive = (pid: number | undefined) => {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('Supervisor (real child processes)', () => {
  let supervisor: Supervisor | undefined;
  afterEach(async () => {
    await supervisor?.close();
  });

  it('when an armed child is killed, then it is restarted after the back-off, which doubles with each crash in the window', async () => {
    const events: SupervisorEvent[] = [];
    supervisor = new Supervisor({
      initialBackoffMs: 100,
      maxBackoffMs: 1000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      onEvent: (e) => events.push(e),
    });
    const starts: number[] = [];
    await supervisor.add(idleChild('worker', starts));
    supervisor.arm();
    for (const expectedDelay of [100, 200, 400]) {
      const before = supervisor.pid('worker');
      const killedAt = Date.now();
      supervisor.signal('worker', 'SIGKILL');
      await until(
        () => supervisor?.pid('worker') !== undefined && supervisor.pid('worker') !== before,
        'restart',
      );
      expect(alive(supervisor.pid('worker'))).toBe(true);
      expect(alive(before)).toBe(false);
      expect(starts.at(-1) as number).toBeGreaterThanOrEqual(killedAt + expectedDelay - 5);
    }
    expect(
      events.filter((e) => e.type === 'restarting').map((e) => (e.type === 'restarting' ? e.delayMs : 0)),
    ).toEqual([100, 200, 400]);
    expect(events.find((e) => e.type === 'restarting')).toMatchObject({
      name: 'worker',
      reason: 'was killed by SIGKILL',
      crashes: 1,
    });
    expect(supervisor.failure).toBeUndefined();
  });

  it('when a child crashes maxCrashes times within the window, then the supervisor gives up once, with a message naming it and the cause', async () => {
    const messages: string[] = [];
    supervisor = new Supervisor({
      initialBackoffMs: 20,
      maxBackoffMs: 40,
      maxCrashes: 3,
      crashWindowMs: 30_000,
      onGiveUp: (m) => messages.push(m),
    });
    await supervisor.add(idleChild('auth'));
    await supervisor.add(idleChild('user'));
    supervisor.arm();
    for (let crash = 1; crash <= 2; crash++) {
      const before = supervisor.pid('auth');
      supervisor.signal('auth', 'SIGKILL');
      await until(() => supervisor?.running('auth') === true && supervisor.pid('auth') !== before, 'restart');
    }
    expect(messages).toEqual([]);
    supervisor.signal('auth', 'SIGKILL');
    await until(() => messages.length > 0, 'give-up');
    await sleep(200);
    expect(messages).toEqual(['auth crashed 3 times within 30 s (last: was killed by SIGKILL); giving up']);
    expect(supervisor.failure).toBe(messages[0]);
    expect(supervisor.running('auth')).toBe(false); // not restarted after giving up
    expect(supervisor.running('user')).toBe(true); // stopping the rest is the stack's decision
  });

  it('when crashes are further apart than the window, then they never add up to a give-up', async () => {
    let gaveUp = false;
    supervisor = new Supervisor({
      initialBackoffMs: 10,
      maxBackoffMs: 10,
      maxCrashes: 2,
      crashWindowMs: 300,
      onGiveUp: () => {
        gaveUp = true;
      },
    });
    await supervisor.add(idleChild('worker'));
    supervisor.arm();
    for (let i = 0; i < 3; i++) {
      await sleep(350);
      const before = supervisor.pid('worker');
      supervisor.signal('worker', 'SIGKILL');
      await until(
        () => supervisor?.running('worker') === true && supervisor.pid('worker') !== before,
        'restart',
      );
    }
    expect(gaveUp).toBe(false);
  });

  it('when a held child is killed, then nobody restarts it until release, which starts it at once', async () => {
    const events: SupervisorEvent[] = [];
    supervisor = new Supervisor({ initialBackoffMs: 10, onEvent: (e) => events.push(e) });
    await supervisor.add(idleChild('redis'));
    supervisor.arm();
    const first = supervisor.pid('redis');
    supervisor.hold('redis');
    supervisor.signal('redis', 'SIGKILL');
    await until(() => supervisor?.running('redis') === false, 'exited');
    await sleep(300);
    expect(supervisor.running('redis')).toBe(false);
    expect(events.filter((e) => e.type === 'exited')).toMatchObject([{ name: 'redis', expected: true }]);
    await supervisor.release('redis');
    expect(supervisor.running('redis')).toBe(true);
    expect(supervisor.pid('redis')).not.toBe(first);
    expect(events.some((e) => e.type === 'restarting')).toBe(false);
    // Supervised again: a crash now is restarted.
    const second = supervisor.pid('redis');
    supervisor.signal('redis', 'SIGKILL');
    await until(() => supervisor?.running('redis') === true && supervisor.pid('redis') !== second, 'restart');
  });

  it('when a child exits before arm() (start-up), then that is fatal: no restart, a give-up naming it', async () => {
    const messages: string[] = [];
    supervisor = new Supervisor({ initialBackoffMs: 10, onGiveUp: (m) => messages.push(m) });
    await supervisor.add(idleChild('gateway'));
    supervisor.signal('gateway', 'SIGKILL');
    await until(() => messages.length > 0, 'give-up');
    expect(messages).toEqual(['gateway was killed by SIGKILL during start-up']);
    await sleep(100);
    expect(supervisor.running('gateway')).toBe(false);
  });

  it('when close() runs, then every child stops and none is restarted', async () => {
    supervisor = new Supervisor({ initialBackoffMs: 10 });
    await supervisor.add(idleChild('a'));
    await supervisor.add(idleChild('b'));
    supervisor.arm();
    const pids = [supervisor.pid('a'), supervisor.pid('b')];
    await supervisor.close();
    await sleep(100);
    expect(pids.map(alive)).toEqual([false, false]);
    expect([supervisor.running('a'), supervisor.running('b')]).toEqual([false, false]);
    await expect(supervisor.add(idleChild('c'))).rejects.toThrow('the stack is stopping');
  });
});
