import { pollUntil } from '@redwire/launchers';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@redwire/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runner, signUp, startRunner } from './support/runner';

// The CI smoke of REDWIRE_INSTANCES=2: the real runner with two of every service, on a Redis Cluster (both
// options combine), and the guarantees that must hold across instances, traffic spread over both gateways.

const json = { 'content-type': 'application/json' };
const account = { email: `ada-${Date.now()}@example.com`, password: 'correct horse battery staple' };

/** The sum of a counter's samples whose labels contain every one of `labels`, from a `/metrics` URL. */
async function counterSum(url: string, name: string, labels: readonly string[]): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && labels.every((label) => l.includes(label)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** `redwire_user_db_queries_total{operation="find"}` of one user service, from its /metrics. */
async function finds(userPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${userPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('redwire_user_db_queries_total{') && l.includes('operation="find"'));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('the local stack with two instances of every service (REDWIRE_INSTANCES=2)', () => {
  let stack: Runner;
  let receiver: OtlpReceiver;
  let gateways: string[];
  let userPorts: number[];
  let token: string;
  let userId: string;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    // L1 on: a write through one instance must not leave the other's L1 serving the old profile.
    stack = await startRunner({
      REDWIRE_INSTANCES: '2',
      REDWIRE_REDIS_TOPOLOGY: 'cluster',
      USER_CACHE_L1: 'true',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
    });
    const others = /gateways=(\S+)/.exec(stack.readyLine)?.[1]?.split(',') ?? [];
    gateways = [`http://127.0.0.1:${stack.ports.REDWIRE_GATEWAY_PORT}`, ...others];
    userPorts = [stack.ports.REDWIRE_USER_PORT];
  }, 120_000);
  afterAll(async () => {
    if (stack?.service.running) void stack.service.stop('SIGKILL');
    await receiver?.close();
  });

  it('when it is ready, then the ready line keeps its format and names the second gateway in gateways=', async () => {
    const { ports } = stack;
    expect(stack.readyLine).toMatch(
      new RegExp(
        `^redwire ready: gateway=http://127\\.0\\.0\\.1:${ports.REDWIRE_GATEWAY_PORT} redis=redis://127\\.0\\.0\\.1:${ports.REDWIRE_REDIS_PORT} ` +
          `postgres=postgres://redwire@127\\.0\\.0\\.1:${ports.REDWIRE_POSTGRES_PORT}/redwire cache=redis://127\\.0\\.0\\.1:${ports.REDWIRE_CACHE_REDIS_PORT} ` +
          'gateways=http://127\\.0\\.0\\.1:\\d+$',
      ),
    );
    expect(gateways).toHaveLength(2);
    for (const gateway of gateways) expect((await fetch(`${gateway}/auth/me`)).status).toBe(401);
  });

  it('when an account registers and logs in through gateway 1, then its token works on gateway 2', async () => {
    ({ id: userId, token } = await signUp(gateways[0] as string, { ...account, name: 'Ada' }));
    expect(
      (await fetch(`${gateways[1]}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
  });

  it('when a cold profile is read concurrently through both gateways, then the two user services issue exactly one database query', async () => {
    // The runner announces the ports it picked for instance 2 on stderr.
    const announced = stack.stderr.map((l) => /instance 2: .* user on (\d+),/.exec(l)?.[1]).find(Boolean);
    if (announced) userPorts.push(Number(announced));
    expect(userPorts, 'both user services’ ports').toHaveLength(2);
    const before = (await Promise.all(userPorts.map(finds))).reduce((a, b) => a + b, 0);
    const auth = { authorization: `Bearer ${token}` };
    const reads = await Promise.all(
      Array.from({ length: 16 }, (_, i) => fetch(`${gateways[i % 2]}/users/${userId}`, { headers: auth })),
    );
    expect(reads.map((r) => r.status)).toEqual(Array(16).fill(200));
    const after = (await Promise.all(userPorts.map(finds))).reduce((a, b) => a + b, 0);
    expect(after - before).toBe(1);
  });

  it('when a profile is written through gateway 2, then gateway 2 reads it back at once and gateway 1 within the L1 fan-out, far inside the L1 TTL', async () => {
    // The guarantee with the L1 on (services/user/README.md "Consistency"): never older than the newest
    // write acknowledged USER_CACHE_L1_TTL (1 s) before the read began. The writing instance drops its own
    // L1 entry before it answers; another instance's is dropped by its XREAD of the fan-out stream, a few
    // ms later on an idle machine (CI once saw one read in eight land before it). Gateway 1's L1 holds the
    // previous version from the read just before the write, so only the fan-out can show it the new one
    // sooner than the TTL: seeing it within half the TTL proves the fan-out, not the TTL, did it.
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the user-free bucket refills
    const auth = { authorization: `Bearer ${token}` };
    const versionAt = async (gateway: string) =>
      ((await (await fetch(`${gateway}/users/${userId}`, { headers: auth })).json()) as { version: number })
        .version;
    const fanoutLagsMs: number[] = [];
    for (let round = 0; round < 4; round++) {
      const previous = await versionAt(gateways[0] as string); // gateway 1's L1 now holds it
      const write = await fetch(`${gateways[1]}/users/${userId}`, {
        method: 'PATCH',
        headers: { ...auth, ...json },
        body: JSON.stringify({ bio: `version ${previous + 1}` }),
      });
      expect(write.status).toBe(200);
      const acknowledgedAt = performance.now();
      const written = ((await write.json()) as { version: number }).version;
      expect(written).toBe(previous + 1);
      expect(await versionAt(gateways[1] as string), 'the writing instance reads its own write').toBe(
        written,
      );
      await pollUntil(async () => (await versionAt(gateways[0] as string)) === written, {
        what: 'gateway 1 serving the written version',
        timeoutMs: 500,
        intervalMs: 20,
      });
      fanoutLagsMs.push(Math.round(performance.now() - acknowledgedAt));
    }
    // An upper bound: the first poll follows the writer's own read.
    console.log(
      `L1 fan-out: a write on instance 2 seen by instance 1 at most ${fanoutLagsMs.join(', ')} ms later`,
    );
  });

  it('when writes go through both gateways, then the two workers share the user-cache group and handle each entry exactly once', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the user-free bucket refills
    const auth = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 12; i++) {
      const write = await fetch(`${gateways[i % 2]}/users/${userId}`, {
        method: 'PATCH',
        headers: { ...auth, ...json },
        body: JSON.stringify({ bio: `shared ${i}` }),
      });
      expect(write.status).toBe(200);
    }
    const workerPorts = [
      stack.ports.REDWIRE_WORKER_METRICS_PORT,
      Number(
        stack.stderr.map((l) => /instance 2: .*user worker metrics on (\d+)/.exec(l)?.[1]).find(Boolean),
      ),
    ];
    const cluster = new Cluster([{ host: '127.0.0.1', port: stack.ports.REDWIRE_REDIS_PORT }]);
    try {
      const stream = 'user:stream:{user-events}';
      const consumers = (await cluster.xinfo('CONSUMERS', stream, 'user-cache')) as unknown[];
      expect(consumers, 'one consumer per worker').toHaveLength(2);
      const handled = () =>
        Promise.all(
          workerPorts.map((port) =>
            counterSum(`http://127.0.0.1:${port}/metrics`, 'redwire_stream_messages_total', [
              'group="user-cache"',
              'outcome="acked"',
            ]),
          ),
        );
      const entries = await cluster.xlen(stream);
      await pollUntil(async () => (await handled()).reduce((a, b) => a + b, 0) >= entries, {
        what: 'every entry handled',
        timeoutMs: 10_000,
        intervalMs: 100,
      });
      // Exactly once: the acknowledgements of both workers add up to the stream's entries, none twice.
      expect((await handled()).reduce((a, b) => a + b, 0)).toBe(entries);
    } finally {
      cluster.disconnect();
    }
  });

  it('when logins from one address are spread over both gateways, then login-ip admits exactly its limit of 10 in all', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`${gateways[i % 2]}/auth/login`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ ...account, password: 'wrong password, counted all the same' }),
        }),
      ),
    );
    const statuses = attempts.map((r) => r.status);
    // One login of this address was admitted before (60 s window): 9 more, then 429 on either gateway.
    expect(statuses.filter((s) => s !== 429)).toHaveLength(9);
    expect(statuses.filter((s) => s === 429)).toHaveLength(21);
  });

  it('when both gateways served requests, then their spans share the service name and differ in service.instance.id', async () => {
    const instances = (spans: readonly ReceivedSpan[]) =>
      new Set(
        spans
          .filter((s) => s.serviceName === 'redwire-gateway')
          .map((s) => s.resource['service.instance.id']),
      );
    const spans = await receiver.waitFor((all) => instances(all).size >= 2, 10_000);
    expect(instances(spans)).toEqual(new Set(['gateway', 'gateway-2']));
  });

  it('when the session logs out through gateway 1, then gateway 2 refuses its token within the 1 s bound', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const logout = await fetch(`${gateways[0]}/auth/logout`, { method: 'POST', headers: auth });
    expect(logout.status).toBe(204);
    const started = Date.now();
    await pollUntil(async () => (await fetch(`${gateways[1]}/auth/me`, { headers: auth })).status === 401, {
      what: 'gateway 2 refusing the revoked token',
      timeoutMs: 1500,
      intervalMs: 50,
    });
    expect(Date.now() - started).toBeLessThanOrEqual(1500);
  });

  it('when it gets Ctrl-C (SIGINT), then it exits 0', async () => {
    void stack.service.stop('SIGINT');
    expect(await stack.exited).toBe(0);
  }, 60_000);
});
