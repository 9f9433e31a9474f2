import { setTimeout as sleep } from 'node:timers/promises';
import { waitForReady } from '@redwire/launchers';
import { STACK_PROCESS } from '@redwire/local-stack';
import { CLUSTER_FAULTS } from './cluster/stack-faults';
import type { Fault, FaultContext, FaultId } from './fault.types';

export {
  CLUSTER_FAULT_IDS,
  type ClusterFaultId,
  FAULT_IDS,
  type Fault,
  type FaultContext,
  type FaultId,
  type FaultWindow,
  type StateClusterContext,
} from './fault.types';

/** How long users sent to the partitionable gateway use it before the partition (it validates their sessions). */
const PARTITION_LEAD_MS = 3000;

/** SIGSTOP, wait, SIGCONT: the process holds its connections but answers nothing (a stall, a GC pause, a hung host). */
function freeze(id: FaultId, title: string, name: string, tree: boolean): Fault {
  return {
    id,
    title,
    async run(ctx) {
      const injectedAt = ctx.clock();
      const pid = ctx.supervisor.signal(name, 'SIGSTOP', { tree });
      if (pid === undefined) throw new Error(`${name} is not running`);
      await sleep(ctx.freezeMs);
      ctx.supervisor.signal(name, 'SIGCONT', { tree });
      return {
        injectedAt,
        endedAt: ctx.clock(),
        action: `SIGSTOP ${name}${tree ? ' and its children' : ''} (pid ${pid}), SIGCONT ${ctx.freezeMs / 1000} s later`,
      };
    },
  };
}

/**
 * SIGKILL a server the harness owns for the outage (the supervisor holds off), then start it again with its
 * data after `downMs`: Redis replays its append-only file, PostgreSQL runs crash recovery.
 */
function killAndRestart(id: FaultId, title: string, name: string, tree: boolean, restart: string): Fault {
  return {
    id,
    title,
    async run(ctx) {
      ctx.supervisor.hold(name);
      const injectedAt = ctx.clock();
      const exited = ctx.events.next('exited', name, injectedAt);
      const pid = ctx.supervisor.signal(name, 'SIGKILL', { tree });
      if (pid === undefined) throw new Error(`${name} is not running`);
      await exited;
      await sleep(ctx.downMs);
      const restartedAt = ctx.clock();
      const started = ctx.events.next('started', name, restartedAt, 60_000);
      await ctx.supervisor.release(name);
      const back = await started;
      return {
        injectedAt,
        endedAt: back.at,
        action: `SIGKILL ${name}${tree ? ' and its children' : ''} (pid ${pid}); started again ${restart} ${ctx.downMs / 1000} s later (answering ${Math.round(back.at - restartedAt)} ms after the start command)`,
      };
    },
  };
}

/**
 * SIGKILL a service; the supervisor restarts it. The fault ends when the new process is ready (its
 * /readyz, the worker's /healthz, answers 200), not merely started: until then it serves nothing.
 */
function killSupervised(id: FaultId, title: string, name: (ctx: FaultContext) => string): Fault {
  return {
    id,
    title,
    async run(ctx) {
      const process = name(ctx);
      const injectedAt = ctx.clock();
      const started = ctx.events.next('started', process, injectedAt, 60_000);
      const pid = ctx.supervisor.signal(process, 'SIGKILL');
      if (pid === undefined) throw new Error(`${process} is not running`);
      const back = await started;
      const readyUrl = ctx.readyUrl(process);
      if (readyUrl) await waitForReady([readyUrl], { timeoutMs: 60_000 });
      const endedAt = ctx.clock();
      return {
        injectedAt,
        endedAt,
        action:
          `SIGKILL ${process} (pid ${pid}); the supervisor started it again after ${Math.round(back.at - injectedAt)} ms, ` +
          `ready after ${Math.round(endedAt - injectedAt)} ms`,
      };
    },
  };
}

/**
 * Half the signed-in users move to the partitionable gateway; after PARTITION_LEAD_MS it is cut off from
 * the state Redis for `freezeMs`, while every other gateway and service still reaches it.
 */
const gatewayPartition: Fault = {
  id: 'gateway-partition',
  title: 'one gateway cut off from the state Redis',
  async run(ctx) {
    if (!ctx.partition || !ctx.partitionable) throw new Error('no partition link in this run');
    ctx.partitionable.moveIn();
    await sleep(PARTITION_LEAD_MS);
    const injectedAt = ctx.clock();
    await ctx.partition.partition();
    await sleep(ctx.freezeMs);
    await ctx.partition.heal();
    return {
      injectedAt,
      endedAt: ctx.clock(),
      action:
        `half the signed-in users moved to ${ctx.partitionable.name}; ${PARTITION_LEAD_MS / 1000} s later no byte ` +
        `between it and the state Redis for ${ctx.freezeMs / 1000} s (a pausing TCP link on its REDIS_URL; ` +
        'every other gateway and service unaffected)',
    };
  },
  after(ctx) {
    ctx.partitionable?.moveBack();
  },
};

const P = STACK_PROCESS;

export const FAULTS: Readonly<Record<FaultId, Fault>> = {
  'redis-freeze': freeze('redis-freeze', 'state Redis frozen', P.stateRedis, false),
  'redis-kill': killAndRestart(
    'redis-kill',
    'state Redis killed, restarted with its data',
    P.stateRedis,
    false,
    'from its append-only file',
  ),
  'cache-kill': killAndRestart(
    'cache-kill',
    'cache Redis killed, restarted empty',
    P.cacheRedis,
    false,
    'empty',
  ),
  'postgres-freeze': freeze('postgres-freeze', 'PostgreSQL frozen', P.postgres, true),
  'postgres-kill': killAndRestart(
    'postgres-kill',
    'PostgreSQL killed, restarted (crash recovery)',
    P.postgres,
    true,
    'on its data (crash recovery)',
  ),
  'worker-kill': killSupervised('worker-kill', 'user worker killed', () => P.worker),
  'user-kill': killSupervised('user-kill', 'user service killed', () => P.user),
  'auth-kill': killSupervised('auth-kill', 'auth service killed', () => P.auth),
  'gateway-kill': killSupervised('gateway-kill', 'one of two gateways killed', (ctx) => ctx.secondGateway),
  'gateway-partition': gatewayPartition,
  ...CLUSTER_FAULTS,
};
