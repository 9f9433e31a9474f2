import type { AddressInfo } from 'node:net';
import { createRedisClient, Keyspace } from '@redwire/redis-kit';
import {
  CACHE_INVALIDATION_QUEUE,
  createQueueDashboard,
  QUEUE_DASHBOARD_PATH,
  queuePrefix,
} from '@redwire/user';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AclRedis, startAclRedis, until } from './support/acl-redis';

// The `tools` profile's queue-dashboard authenticates as the user service's ACL user (retrying and
// deleting jobs writes BullMQ's keys): bull-board's reads and a retry must work within that user's rights.

let state: AclRedis;
let queue: Queue;
let worker: Worker;
let server: ReturnType<ReturnType<typeof createQueueDashboard>['listen']>;
let base: string;
let failNext = true;

beforeAll(async () => {
  state = await startAclRedis('users.acl');
  const prefix = queuePrefix(new Keyspace({ service: 'user' }));
  queue = new Queue(CACHE_INVALIDATION_QUEUE, { connection: await state.serviceClient('user'), prefix });
  worker = new Worker(
    CACHE_INVALIDATION_QUEUE,
    async () => {
      if (failNext) throw new Error('cache down');
      return 'deleted';
    },
    {
      connection: createRedisClient({
        url: state.urlAs('user'),
        service: 'user',
        kind: 'blocking',
        purpose: 'bullmq',
      }),
      prefix,
    },
  );
  const app = createQueueDashboard({ queues: [queue] });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${QUEUE_DASHBOARD_PATH}`;
});

afterAll(async () => {
  server?.close();
  await worker?.close(true);
  await queue?.close();
  await state?.stop();
});

describe('the queue dashboard as the user ACL user', () => {
  it('when it lists the queue and retries a failed job, then both work and Redis denies it nothing but CLIENT LIST', async () => {
    await state.takeDenials();
    const job = await queue.add('invalidate-user', { userId: 'x' }, { attempts: 1 });
    await until(async () => (await job.isFailed()) === true, 'the job failed');

    const listed = await fetch(`${base}/api/queues?activeQueue=${CACHE_INVALIDATION_QUEUE}&status=failed`);
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { queues: { name: string; jobs: { id: string }[] }[] };
    expect(body.queues.find((q) => q.name === CACHE_INVALIDATION_QUEUE)?.jobs.map((j) => j.id)).toContain(
      job.id,
    );

    failNext = false;
    const retried = await fetch(`${base}/api/queues/${CACHE_INVALIDATION_QUEUE}/retry/failed`, {
      method: 'PUT',
    });
    expect(retried.status).toBe(200);
    await until(
      async () => (await queue.getJobState(job.id as string)) === 'completed',
      'the retried job completed',
    );

    // bull-board asks for the queue's workers (CLIENT LIST), which the ACL keeps from every service; it
    // shows none and carries on.
    const denied = (await state.takeDenials()).filter((d) => !d.endsWith(' client|list'));
    expect(denied).toEqual([]);
  });
});
