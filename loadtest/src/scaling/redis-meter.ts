import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { treeCpuSeconds } from './process-cpu';
import {
  addDeltas,
  diffReadings,
  type InfoClient,
  NO_DELTA,
  type RedisDelta,
  readRedis,
} from './redis-stats';

/** What one or more measured windows added up to. */
export interface Measured {
  /** Redis, background subtracted. */
  readonly redis: RedisDelta;
  /** The quiet-window rate times the measured time: what was subtracted (CPU seconds). */
  readonly backgroundCpuSeconds: number;
  /** Wall time inside the windows, seconds. */
  readonly elapsedS: number;
  /** CPU seconds of this process inside the windows. */
  readonly callerCpuSeconds: number;
  /** CPU seconds of the PostgreSQL tree inside the windows (0 without a pid). */
  readonly postgresCpuSeconds: number;
}

/**
 * Measures Redis around runs of real library calls: a quiet window first (what the server does on its own
 * with the clients connected: cron, blocked readers, probes), then the run; the run's delta minus the quiet
 * rate × the run's length is what the operations cost.
 */
export class RedisMeter {
  readonly #client: InfoClient;
  readonly #postgresPid: number | undefined;
  readonly #quietS: number;

  constructor(client: InfoClient, options: { readonly quietS: number; readonly postgresPid?: number }) {
    this.#client = client;
    this.#quietS = options.quietS;
    this.#postgresPid = options.postgresPid;
  }

  /** Background rate over a quiet window: per second, by command and CPU. */
  async quietRate(): Promise<{ delta: RedisDelta; seconds: number }> {
    const before = await readRedis(this.#client);
    const t0 = performance.now();
    await sleep(this.#quietS * 1000);
    const after = await readRedis(this.#client);
    return { delta: diffReadings(before, after), seconds: (performance.now() - t0) / 1000 };
  }

  /**
   * Runs `windows` measured windows (each `run(i)`), with `between(i)` unmeasured before each (set-up such
   * as an invalidation); returns the sum with the background subtracted.
   */
  async measure(
    run: (window: number) => Promise<void>,
    options: { readonly windows?: number; readonly between?: (window: number) => Promise<void> } = {},
  ): Promise<Measured> {
    const quiet = await this.quietRate();
    let total = NO_DELTA;
    let elapsedS = 0;
    let callerCpuSeconds = 0;
    let postgresCpuSeconds = 0;
    for (let i = 0; i < (options.windows ?? 1); i++) {
      await options.between?.(i);
      const pg0 = this.#postgresPid ? treeCpuSeconds(this.#postgresPid) : 0;
      const before = await readRedis(this.#client);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await run(i);
      const t1 = performance.now();
      const cpu = process.cpuUsage(cpu0);
      const after = await readRedis(this.#client);
      const pg1 = this.#postgresPid ? treeCpuSeconds(this.#postgresPid) : 0;
      total = addDeltas(total, diffReadings(before, after));
      elapsedS += (t1 - t0) / 1000;
      callerCpuSeconds += (cpu.user + cpu.system) / 1e6;
      postgresCpuSeconds += pg1 - pg0;
    }
    const scale = quiet.seconds > 0 ? elapsedS / quiet.seconds : 0;
    const commands = new Map(total.commands);
    for (const [name, bg] of quiet.delta.commands) {
      const c = commands.get(name);
      if (!c) continue;
      commands.set(name, {
        calls: Math.max(0, c.calls - Math.round(bg.calls * scale)),
        usec: Math.max(0, c.usec - bg.usec * scale),
      });
    }
    const backgroundCpuSeconds = quiet.delta.cpuSeconds * scale;
    return {
      redis: { commands, cpuSeconds: Math.max(0, total.cpuSeconds - backgroundCpuSeconds) },
      backgroundCpuSeconds,
      elapsedS,
      callerCpuSeconds,
      postgresCpuSeconds,
    };
  }
}
