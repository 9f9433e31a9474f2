// Hit-path benchmark of the user service, side by side with a bare Express route doing one Redis GET of
// the same entry, in the same run (ratios matter; absolute numbers drift with the machine).
//
//   npm run build && node loadtest/user-hit-path.mjs [--rounds 3] [--seconds 5] [--connections 50]
//
// Starts its own Redis and PostgreSQL (ephemeral), one server process per variant, and drives each with
// autocannon from this process. Variants: bare Express + GET; user service (L2 hit: one GET + envelope
// validation + identity/metrics/logging middleware); user service with the L1 on.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const root = path.resolve(import.meta.dirname, '..');
const dist = (p) => path.join(root, p);
const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    serve: { type: 'string' },
    redis: { type: 'string' },
    database: { type: 'string' },
    namespace: { type: 'string' },
    users: { type: 'string' },
  },
});

if (args.serve) await serve(args.serve);
else await main();

/** A child process: one server variant, printing `port=<n>` once listening. */
async function serve(variant) {
  // Exit normally on SIGTERM so `--cpu-prof` (via BENCH_NODE_ARGS) can write its profile.
  process.on('SIGTERM', () => process.exit(0));
  const { startHttpServer } = await import(dist('shared/http-kit/dist/index.js'));
  if (variant === 'bare') {
    const { default: express } = await import('express');
    const { Redis } = await import('ioredis');
    const { Keyspace } = await import(dist('shared/redis-kit/dist/index.js'));
    const { UserCacheKeys } = await import(dist('services/user/dist/cache/user-cache.keys.js'));
    const redis = new Redis(args.redis, { enableAutoPipelining: false });
    const keys = new UserCacheKeys(new Keyspace({ service: 'user', namespace: args.namespace }));
    const app = express();
    app.get('/users/:id', async (req, res) => {
      const raw = await redis.get(keys.forUser(req.params.id).entry);
      if (raw === null) return res.status(404).end();
      res.json(JSON.parse(raw).d);
    });
    const server = await startHttpServer(app, { port: 0 });
    process.stdout.write(`port=${server.port}\n`);
    return;
  }
  const { loadServiceConfig } = await import(dist('services/user/dist/config.js'));
  const { createUserRuntime } = await import(dist('services/user/dist/user.runtime.js'));
  const config = loadServiceConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    IDENTITY_SIGNING_KEY: 'benchmark-identity-key-0123456789abcdef',
    DATABASE_URL: args.database,
    REDIS_URL: args.redis,
    REDIS_NAMESPACE: args.namespace,
    USER_CACHE_L1: variant === 'user-l1' ? 'true' : 'false',
    USER_CACHE_L1_TTL: '1000',
  });
  const runtime = createUserRuntime(config);
  await runtime.start();
  await runtime.gate.whenUsable(10_000);
  const server = await startHttpServer(runtime.app, { port: 0 });
  process.stdout.write(`port=${server.port}\n`);
}

function startChild(variant, env) {
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      import.meta.filename,
      '--serve',
      variant,
      '--redis',
      env.redis,
      '--database',
      env.database,
      '--namespace',
      env.namespace,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${variant} exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      const match = /port=(\d+)/.exec(chunk.toString());
      if (match) resolve({ child, url: `http://127.0.0.1:${match[1]}` });
    });
  });
}

async function main() {
  const { startPostgresServer, startRedisServer, createDatabase } = await import(
    dist('shared/testing/dist/index.js')
  );
  const { runMigrations } = await import(dist('services/user/dist/db/migrator.js'));
  const { createPool } = await import(dist('services/user/dist/db/pool.js'));
  const { UserRepository } = await import(dist('services/user/dist/users/user.repository.js'));
  const { v7: uuidv7 } = await import('uuid');

  const [redis, postgres] = await Promise.all([startRedisServer(), startPostgresServer()]);
  const children = [];
  try {
    const db = await createDatabase(postgres.adminUrl, 'bench');
    await runMigrations({ databaseUrl: db.url });
    const pool = createPool({ connectionString: db.url });
    const repo = new UserRepository(pool);
    const ids = [];
    for (let i = 0; i < 100; i++) {
      const id = uuidv7();
      await repo.create({ id, email: `${id}@example.com`, name: `User ${i}` });
      ids.push(id);
    }
    await pool.end();
    const env = { redis: redis.url, database: db.url, namespace: 'bench' };

    // All three servers up at once; rounds interleave the variants so a noisy neighbour hits them alike.
    const servers = {};
    for (const variant of ['user', 'bare', 'user-l1']) {
      const started = await startChild(variant, env);
      children.push(started.child);
      servers[variant] = started.url;
    }
    for (const id of ids) await fetch(`${servers.user}/users/${id}`); // fill through the real read path
    for (const id of ids) await fetch(`${servers['user-l1']}/users/${id}`);
    const findsBefore = { user: await dbFinds(servers.user), 'user-l1': await dbFinds(servers['user-l1']) };

    const runs = { bare: [], user: [], 'user-l1': [] };
    for (let round = 0; round < Number(args.rounds); round++) {
      for (const variant of ['bare', 'user', 'user-l1']) {
        const run = await autocannon({
          url: servers[variant],
          connections: Number(args.connections),
          duration: Number(args.seconds),
          requests: [
            {
              setupRequest: (req) => ({
                ...req,
                path: `/users/${ids[Math.floor(Math.random() * ids.length)]}`,
              }),
            },
          ],
        });
        runs[variant].push({
          rps: run.requests.average,
          p50: run.latency.p50,
          p99: run.latency.p99,
          bad: run.non2xx + run.errors,
        });
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const bareRps = median(runs.bare.map((r) => r.rps));
    console.log(
      `hit path: ${args.rounds} interleaved rounds × ${args.seconds} s, ${args.connections} connections, medians (same run, same machine)`,
    );
    for (const [variant, list] of Object.entries(runs)) {
      const rps = median(list.map((r) => r.rps));
      const extra =
        variant === 'bare'
          ? ''
          : `  db queries during the runs ${(await dbFinds(servers[variant])) - findsBefore[variant]}`;
      console.log(
        `  ${variant.padEnd(8)} ${String(Math.round(rps)).padStart(6)} req/s  ratio ${(rps / bareRps).toFixed(2)}  ` +
          `p50 ${median(list.map((r) => r.p50))} ms  p99 ${median(list.map((r) => r.p99))} ms  ` +
          `non-2xx/errors ${list.reduce((n, r) => n + r.bad, 0)}${extra}`,
      );
    }
    for (const variant of ['user', 'user-l1'])
      console.log(`${variant}:\n${await cacheResults(servers[variant])}`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
    await postgres.stop({ remove: true });
  }
}

/** The cache request counters and gate state, to tell hits from reads around the cache. */
async function cacheResults(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter(
      (l) => /^redwire_user_cache_(requests_total|breaker_state|fills_total)\{/.test(l) && !l.endsWith(' 0'),
    )
    .map((l) => l.replace(/service="[^"]*",?/, ''))
    .join('\n');
}

/** DB lookups the user service made so far (its warm-up misses only, if every benchmark read was a hit). */
async function dbFinds(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('redwire_user_db_queries_total{') && l.includes('operation="find"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
