import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalStack, readStackConfig, STACK_PROCESS } from '@redwire/local-stack';
import { Redis } from 'ioredis';
import { quantileSorted } from '../bench/core/stats';
import { signUpUsers } from '../traffic/accounts';
import { LoadDriver } from '../traffic/load-driver';
import { LoopbackAddresses } from '../traffic/loopback-addresses';
import { LoopbackClient } from '../traffic/loopback-client';
import { failureKinds, type RequestRecord } from '../traffic/request-record';
import { runFiles, serverVersions, stackEnvironment } from '../traffic/stack-environment';
import { rssMiB, treeMemoryMiB } from './process-memory';
import { redisCensus } from './redis-census';
import type { SoakOptions } from './soak.options';
import type { SoakReport, SoakSample } from './soak-report.types';
import { summarize } from './soak-summary';

/** Accounts that log in and out (each every CHURN_USERS × sessionChurnMs = 20 s: within login-ip's 10/min). */
const CHURN_USERS = 10;

/**
 * A soak: the local stack (persisted state Redis) under moderate steady load with session churn for
 * `minutes`, sampled every `sampleSeconds`: each process's RSS, both Redis roles' memory and every key by
 * family with its TTLs. Everything it started is stopped before it returns or throws.
 */
/** An earlier report with its summary computed again from its samples (the failures are kept as they were). */
export function resummarize(file: string): SoakReport {
  const earlier = JSON.parse(fs.readFileSync(file, 'utf8')) as SoakReport;
  return { ...earlier, summary: { ...summarize(earlier.samples), failures: earlier.summary.failures } };
}

export async function runSoak(
  options: SoakOptions,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<SoakReport> {
  const startedAt = new Date();
  const { dataDir, logFile } = runFiles('soak', startedAt);
  const { env } = await stackEnvironment(process.env, dataDir);
  const stackLog = fs.createWriteStream(logFile);
  const stack = new LocalStack(readStackConfig(env), {
    log: (line) => stackLog.write(`[stack] ${line}\n`),
    relay: (line) => stackLog.write(`${line}\n`),
  });
  const client = new LoopbackClient({ timeoutMs: 10_000 });
  const clients: Redis[] = [];
  try {
    log(`starting the stack (data in ${dataDir}, its log in ${logFile})`);
    signal?.addEventListener('abort', () => void stack.stop(), { once: true });
    await stack.start();
    const urls = stack.urls;
    const port = Number(new URL(urls.gateways[0] as string).port);
    const versions = await serverVersions(urls);
    const redis = { state: new Redis(urls.redis), cache: new Redis(urls.cacheRedis) };
    clients.push(redis.state, redis.cache);
    for (const c of clients) c.on('error', () => {});
    const addresses = new LoopbackAddresses();
    const runId = randomBytes(4).toString('hex');
    const users = await signUpUsers(client, { port, count: options.users, addresses, runId, label: 'soak' });
    // Accounts of their own for the churn: at the per-user cap a login revokes the oldest session.
    const churners = await signUpUsers(client, {
      port,
      count: CHURN_USERS,
      addresses,
      runId,
      label: 'soak-churn',
    });
    let latencies: number[] = [];
    let failed = 0;
    const failures: RequestRecord[] = [];
    const t0 = performance.now();
    const driver = new LoadDriver({
      client,
      gatewayPorts: [port],
      users,
      userIntervalMs: options.userIntervalMs,
      anonymous: Array.from({ length: options.anonymous }, () => addresses.next()),
      sessionChurn: { intervalMs: options.sessionChurnMs, users: churners },
      onRecord: (r) => {
        latencies.push(r.end - r.start);
        const ok = r.kind === 'logout' ? r.status === 204 : r.status >= 200 && r.status < 300;
        if (!ok) {
          failed++;
          failures.push(r);
        }
      },
      clock: () => performance.now() - t0,
    });
    driver.start();
    log(
      `load running for ${options.minutes} min: ${users.length} users every ${options.userIntervalMs} ms, a login every ${options.sessionChurnMs} ms`,
    );
    const samples: SoakSample[] = [];
    const processes = stack.supervisor.names;
    const endAt = t0 + options.minutes * 60_000;
    for (let next = t0; ; ) {
      const t = Math.round((performance.now() - t0) / 1000);
      const sorted = Float64Array.from(latencies).sort();
      const sample: SoakSample = {
        t,
        loadAverage: os.loadavg()[0] ?? 0,
        rssMiB: Object.fromEntries(
          processes.map((name) => {
            const pid = stack.supervisor.pid(name);
            return [name, name === STACK_PROCESS.postgres ? treeMemoryMiB(pid) : rssMiB(pid)];
          }),
        ),
        redis: { state: await redisCensus(redis.state), cache: await redisCensus(redis.cache) },
        requests: {
          total: latencies.length,
          failed,
          p50Ms: sorted.length ? Math.round(quantileSorted(sorted, 0.5) * 10) / 10 : null,
          p99Ms: sorted.length ? Math.round(quantileSorted(sorted, 0.99) * 10) / 10 : null,
        },
      };
      latencies = [];
      failed = 0;
      samples.push(sample);
      log(
        `t=${t}s load ${sample.loadAverage.toFixed(2)} · ${sample.requests.total} requests (${sample.requests.failed} failed) · ` +
          `RSS ${Object.entries(sample.rssMiB)
            .map(([n, v]) => `${n} ${v}`)
            .join(', ')} MiB · ` +
          `state Redis ${sample.redis.state.usedMemoryMiB} MiB / ${sample.redis.state.keys} keys, cache ${sample.redis.cache.usedMemoryMiB} MiB / ${sample.redis.cache.keys} keys`,
      );
      if (performance.now() >= endAt) break;
      next += options.sampleSeconds * 1000;
      await sleep(Math.max(0, Math.min(next, endAt) - performance.now()), undefined, { signal });
    }
    await driver.stop();
    return {
      schema: 1,
      suite: 'redwire-soak',
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        node: process.versions.node,
        redis: versions.redis,
      },
      settings: {
        minutes: options.minutes,
        sampleSeconds: options.sampleSeconds,
        users: options.users,
        userIntervalMs: options.userIntervalMs,
        anonymous: options.anonymous,
        sessionChurnMs: options.sessionChurnMs,
      },
      samples,
      summary: { ...summarize(samples), failures: failureKinds(failures) },
    };
  } finally {
    client.close();
    for (const c of clients) c.disconnect();
    await stack.stop();
    stackLog.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
