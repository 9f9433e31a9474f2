// What a session check costs Node per request: validate() called directly against the same call through
// expressSession(reader), each in a process of its own (their garbage differs, so they must not share a
// heap), in interleaved rounds, 50 concurrent callers (the bench's 50 connections). Node CPU per request
// from process.cpuUsage(). Two clients: a real Redis (the whole path), and a stand-in whose EVALSHA answers
// from memory one turn later (the library alone, without the socket's noise). Not a test: a measurement.
// Run after a build: npm run build && node shared/sessions/test/bench/validate-path.bench.mjs
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const sessions = require('@redwire/sessions');
const kit = require('@redwire/redis-kit');

const CALLERS = 50;
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const VARIANTS = [
  'validate',
  'expressSession',
  'validate, in-memory client',
  'expressSession, in-memory client',
];

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], process.argv[5]);
else await parent();

async function parent() {
  const { startRedisServer } = require('@redwire/launchers');
  const server = await startRedisServer();
  const redis = kit.createRedisClient({ url: server.url, service: 'bench' });
  await kit.waitForReady(redis);
  const store = new sessions.SessionStore({ redis, namespace: 'bench' });
  const account = { userId: 'u-1', tag: sessions.newRoutingTag(), authVersion: 1, revision: 1 };
  const signIn = await store.create({ ...account, role: 'user', tier: 'free' }, { userAgent: 'bench' });
  redis.disconnect();
  const samples = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of [...VARIANTS.slice(r % VARIANTS.length), ...VARIANTS.slice(0, r % VARIANTS.length)]) {
        const out = execFileSync(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', v, server.url, signIn.token],
          { encoding: 'utf8' },
        );
        samples[v].push(Number(out.trim()));
      }
    }
  } finally {
    await server.stop();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const v of VARIANTS) {
    const us = samples[v].map((ns) => (ns / 1000).toFixed(2));
    console.log(
      `${v.padEnd(34)} ${(median(samples[v]) / 1000).toFixed(2)} µs/request  (rounds: ${us.join(' ')})`,
    );
  }
}

async function child(variant, url, realToken) {
  const inMemory = variant.endsWith('in-memory client');
  let redis;
  let token = realToken;
  if (inMemory) {
    const now = Date.now();
    const reply = [3, 'u-1', 'user', 'free', now, now, now + 28_800_000, 1_800_000, 0];
    redis = {
      isCluster: false,
      evalsha: (_sha, numKeys, ...rest) =>
        new Promise((resolve) =>
          setImmediate(
            resolve,
            Array.from({ length: rest[numKeys] }, () => reply),
          ),
        ),
    };
    const tag = sessions.newRoutingTag();
    token = `${tag}${randomBytes(16).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
  } else {
    redis = kit.createRedisClient({ url, service: 'bench' });
    await kit.waitForReady(redis);
  }
  const reader = new sessions.SessionReader({ redis, namespace: 'bench' });
  const middleware = sessions.expressSession(reader);
  const res = { headersSent: false, setHeader() {}, end() {}, destroy() {} };
  const request = () => ({ headers: { host: 'bench', cookie: `${sessions.SESSION_COOKIE_NAME}=${token}` } });
  const viaValidate = async () => {
    const found = sessions.tokenFromHeaders(request().headers);
    if (!(await reader.validate(found.token)).valid) throw new Error('refused');
  };
  const viaMiddleware = () =>
    new Promise((resolve, reject) => {
      const req = request();
      middleware(req, res, (error) => (error ? reject(error) : resolve(sessions.sessionOf(req))));
    });
  const op = variant.startsWith('validate') ? viaValidate : viaMiddleware;
  const loop = (n) =>
    Promise.all(
      Array.from({ length: CALLERS }, async () => {
        for (let i = 0; i < n / CALLERS; i++) await op();
      }),
    );
  const n = inMemory ? 400_000 : 60_000;
  await loop(n / 5); // warm-up: optimised code, a settled heap
  const before = process.cpuUsage();
  await loop(n);
  const used = process.cpuUsage(before);
  process.stdout.write(`${Math.round(((used.user + used.system) * 1000) / n)}\n`);
  reader.close();
  if (!inMemory) redis.disconnect();
}
