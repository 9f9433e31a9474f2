// Hit-path benchmark of the user service, side by side with a bare Express route doing one Redis GET of
// the same entry, in the same run (ratios matter; absolute numbers drift with the machine).
//
//   npm run build && node loadtest/user-hit-path.mjs [--seconds 10] [--connections 50]
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
    seconds: { type: 'string', default: '10' },
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
  const child = spawn(
    process.execPath,
    [
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

    const results = [];
    for (const variant of ['user', 'bare', 'user-l1']) {
      const started = await startChild(variant, env);
      children.push(started.child);
      // Warm every entry through the user service's own read path (the bare route only reads them).
      const warmUrl = variant === 'bare' ? results[0]?.url : started.url;
      for (const id of ids) await fetch(`${warmUrl ?? started.url}/users/${id}`);
      const run = await autocannon({
        url: started.url,
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
      const finds = variant === 'bare' ? undefined : await dbFinds(started.url);
      results.push({
        variant,
        url: started.url,
        rps: Math.round(run.requests.average),
        p50: run.latency.p50,
        p99: run.latency.p99,
        non2xx: run.non2xx,
        errors: run.errors,
        dbFinds: finds,
      });
      if (variant !== 'user') {
        started.child.kill('SIGTERM');
      }
    }
    const bare = results.find((r) => r.variant === 'bare');
    console.log(
      `hit path, ${args.connections} connections, ${args.seconds} s each (same run, same machine):`,
    );
    for (const r of results) {
      const ratio = bare ? (r.rps / bare.rps).toFixed(2) : '?';
      console.log(
        `  ${r.variant.padEnd(8)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ` +
          `ratio ${ratio}  non-2xx ${r.non2xx}  errors ${r.errors}${r.dbFinds === undefined ? '' : `  db finds ${r.dbFinds}`}`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await redis.stop();
    await postgres.stop({ remove: true });
  }
}

/** DB lookups the user service made so far (its warm-up misses only, if every benchmark read was a hit). */
async function dbFinds(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('redwire_user_db_queries_total{') && l.includes('operation="find"'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
