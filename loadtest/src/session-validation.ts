// Session validation, in-process, side by side on the same Redis in the same run (issue 5):
//  - redwire: SessionReader.validate() — one EVALSHA (digest check, version fence, throttled touch);
//  - the same with a touch on every call (touch interval 0: the write-heavy worst case);
//  - connect-redis 9 RedisStore.get() on node-redis — what express-session does per request — and
//    get() + touch() (EXPIRE), which express-session adds per request when the cookie has a maxAge.
// 64 callers in a closed loop over 1000 sessions; variants interleaved round after round; medians reported.
// Then the Redis commands each validation costs, from INFO commandstats deltas over a fixed count.
//
//   npm run build && node loadtest/dist/session-validation.js [--rounds 3] [--seconds 3]
import { createRedisClient, waitForReady } from '@redwire/redis-kit';
import { newRoutingTag, SessionReader, SessionStore } from '@redwire/sessions';
import { startRedisServer } from '@redwire/testing';
import { RedisStore } from 'connect-redis';
import type { SessionData } from 'express-session';
import { createClient } from 'redis';
import type { ThroughputSample } from './bench/core/bench.types';
import { runClosedLoop } from './bench/core/closed-loop.driver';

const CALLERS = 64;
const SESSIONS = 1000;
const NAMESPACE = 'bench';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? fallback : Number(process.argv[i + 1]);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number`);
  return value;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

async function main(): Promise<void> {
  const rounds = arg('rounds', 3);
  const ms = arg('seconds', 3) * 1000;
  const server = await startRedisServer();
  const ioredis = createRedisClient({ url: server.url, service: 'bench', commandTimeoutMs: 5000 });
  await waitForReady(ioredis);
  const nodeRedis = createClient({ url: server.url });
  nodeRedis.on('error', () => {});
  await nodeRedis.connect();
  try {
    const store = new SessionStore({ redis: ioredis, namespace: NAMESPACE });
    const tokens: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const created = await store.create({
        userId: `0195f1c2-7a3b-7cde-8f01-${String(i).padStart(12, '0')}`,
        tag: newRoutingTag(),
        authVersion: 1,
        revision: 1,
        role: 'user',
        tier: 'free',
      });
      if (!created.created) throw new Error('session not created');
      tokens.push(created.token);
    }
    const reader = new SessionReader({ redis: ioredis, namespace: NAMESPACE });
    const touching = new SessionReader({ redis: ioredis, namespace: NAMESPACE, touchIntervalMs: 0 });
    const connectRedis = new RedisStore({ client: nodeRedis, prefix: 'bench:sess:' });
    const sids: string[] = [];
    const data = {
      cookie: {
        originalMaxAge: 1_800_000,
        expires: new Date(Date.now() + 1_800_000),
        httpOnly: true,
        path: '/',
      },
      userId: '0195f1c2-7a3b-7cde-8f01-23456789abcd',
      role: 'user',
      tier: 'free',
    } as unknown as SessionData;
    for (let i = 0; i < SESSIONS; i++) {
      const sid = `sid-${i}-${Math.random().toString(36).slice(2)}`;
      await connectRedis.set(sid, data);
      sids.push(sid);
    }

    let n = 0;
    const pick = <T>(list: T[]) => list[n++ % list.length] as T;
    const validate = (r: SessionReader) => async () => {
      const result = await r.validate(pick(tokens));
      if (!result.valid) throw new Error(`invalid: ${result.reason}`);
    };
    const get = (sid: string) =>
      new Promise<SessionData>((resolve, reject) =>
        connectRedis.get(sid, (err, s) =>
          err ? reject(err) : s ? resolve(s) : reject(new Error('missing')),
        ),
      );
    const touch = (sid: string, s: SessionData) =>
      new Promise<void>((resolve, reject) =>
        connectRedis.touch(sid, s, (err) => (err ? reject(err) : resolve())),
      );
    const ops: Record<string, () => Promise<unknown>> = {
      'redwire SessionReader.validate (1 EVALSHA)': validate(reader),
      'redwire, touch on every call (interval 0)': validate(touching),
      'connect-redis get (GET + JSON.parse)': () => get(pick(sids)),
      'connect-redis get + touch (express-session, cookie maxAge)': async () => {
        const sid = pick(sids);
        await touch(sid, await get(sid));
      },
    };

    // Warm-up, then interleaved rounds.
    for (const op of Object.values(ops)) await runClosedLoop(op, { callers: CALLERS, durationMs: 500 });
    const samples: Record<string, ThroughputSample[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const [name, op] of Object.entries(ops)) {
        const sample = await runClosedLoop(op, { callers: CALLERS, durationMs: ms });
        if (sample.errors > 0)
          process.stderr.write(`${name}: ${sample.errors} errors (${sample.firstError})\n`);
        samples[name] = [...(samples[name] ?? []), sample];
      }
    }
    const first = median((Object.values(samples)[0] ?? []).map((s) => s.opsPerSec));
    process.stdout.write(
      `\nSession validations/s, in-process, ${CALLERS} callers, ${SESSIONS} sessions, ${ms / 1000} s x ${rounds} rounds (medians)\n`,
    );
    for (const [name, list] of Object.entries(samples)) {
      const ops = median(list.map((s) => s.opsPerSec));
      const p50 = median(list.map((s) => s.p50Ms));
      const p99 = median(list.map((s) => s.p99Ms));
      process.stdout.write(
        `  ${name.padEnd(60)} ${ops.toFixed(0).padStart(7)}/s  ${(ops / first).toFixed(2)}  p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms\n`,
      );
    }

    // Round trips: top-level commands per validation, from INFO commandstats.
    process.stdout.write('\nRedis commands per validation (INFO commandstats deltas over 2000 calls)\n');
    const admin = createRedisClient({ url: server.url, service: 'bench-admin', commandTimeoutMs: 5000 });
    await waitForReady(admin);
    const stats = async () => {
      const text = (await admin.info('commandstats')) as string;
      const calls: Record<string, number> = {};
      for (const m of text.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) calls[m[1] as string] = Number(m[2]);
      return calls;
    };
    for (const [name, op] of Object.entries(ops)) {
      const before = await stats();
      for (let i = 0; i < 2000; i++) await op();
      const after = await stats();
      const perOp = Object.entries(after)
        .map(([cmd, calls]) => [cmd, (calls - (before[cmd] ?? 0)) / 2000] as const)
        .filter(([cmd, v]) => v > 0 && cmd !== 'info')
        .map(([cmd, v]) => `${cmd} ${v.toFixed(2)}`)
        .join(', ');
      process.stdout.write(`  ${name.padEnd(60)} ${perOp}\n`);
    }
    process.stdout.write(
      '  (commands a script runs inside EVALSHA are listed too; they cost no extra round trip)\n',
    );
    admin.disconnect();
  } finally {
    ioredis.disconnect();
    await nodeRedis.quit().catch(() => {});
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
