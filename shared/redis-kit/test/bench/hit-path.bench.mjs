// Cache hit path overhead: raw GET + JSON.parse vs the same GET through the kit's CircuitBreaker and
// ValueCodec (zod-validated). Side by side, interleaved rounds, 64 concurrent callers on one client.
// Run after a build: npx tsc -b shared/redis-kit shared/testing && node scripts/copy-assets.mjs &&
//   node shared/redis-kit/test/bench/hit-path.bench.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const kit = require('@redwire/redis-kit');
const { startRedisServer } = require('@redwire/testing');
const { z } = require('zod');

const CALLERS = 64;
const ROUND_MS = 1000;
const ROUNDS = 9;

const user = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.enum(['user', 'admin']),
  version: z.bigint(),
  createdAt: z.date(),
  updatedAt: z.date(),
});

const server = await startRedisServer();
const client = kit.createRedisClient({ url: server.url, service: 'bench', commandTimeoutMs: 1000 });
await kit.waitForReady(client);
const codec = kit.createCodec(user);
const breaker = new kit.CircuitBreaker({ name: 'bench' });
const key = 'bench:user:1';
const now = new Date();
await client.set(
  key,
  codec.encode({
    id: '1',
    email: 'a@b.c',
    name: 'Ada',
    role: 'user',
    version: 3n,
    createdAt: now,
    updatedAt: now,
  }),
);

const variants = {
  'raw GET + JSON.parse': async () => JSON.parse(await client.get(key)),
  'breaker.run(GET) + JSON.parse': async () => JSON.parse(await breaker.run(() => client.get(key))),
  'GET + codec.decode (zod)': async () => codec.decode(await client.get(key)),
  'breaker.run(GET) + codec.decode': async () => codec.decode(await breaker.run(() => client.get(key))),
};

async function measure(fn) {
  let ops = 0;
  const deadline = performance.now() + ROUND_MS;
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (performance.now() < deadline) {
        await fn();
        ops++;
      }
    }),
  );
  return ops / (ROUND_MS / 1000);
}

// Each round measures every variant back to back; the ratio to the raw GET of the same round cancels
// most of the drift of a shared machine, and the median of the rounds drops the outliers.
const ratios = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
const rates = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (const fn of Object.values(variants)) await measure(fn); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  const entries = Object.entries(variants);
  const order = [...entries.slice(r % entries.length), ...entries.slice(0, r % entries.length)];
  const round = {};
  for (const [name, fn] of order) round[name] = await measure(fn);
  for (const name of Object.keys(variants)) {
    ratios[name].push(round[name] / round['raw GET + JSON.parse']);
    rates[name].push(round[name]);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const name of Object.keys(variants)) {
  console.log(
    `${name.padEnd(36)} ${median(rates[name]).toFixed(0).padStart(7)} ops/s  ${median(ratios[name]).toFixed(2)}x`,
  );
}
breaker.shutdown();
client.disconnect();
await server.stop();
