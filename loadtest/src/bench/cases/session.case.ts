import { newRoutingTag, SESSION_COOKIE_NAME, SessionStore } from '@redwire/sessions';
import { type CaseSession, prepareAll, type ThroughputCase, type ThroughputRunner } from '../core/case.types';
import { closeClient, readyRequestClient } from '../parts/request-client';
import type { BenchTopology } from '../stack/bench-stack';
import { httpDriver, httpRunner } from './user-read.case';

const SESSION_NAMESPACE = 'bench';

/** A signed-in request's session check through Express: redwire's reader against express-session. */
export const sessionCase: ThroughputCase = {
  kind: 'throughput',
  id: 'session',
  title: 'Session validation through Express (GET /me with a session cookie)',
  unit: 'req/s',
  driver: httpDriver,
  baseline: 'bare',
  notes: [
    'Every request carries a valid session cookie and gets 200 with the user id, role and tier.',
    'redwire: expressSession(reader) from @redwire/sessions, its public API with the default 100 ms deadline and breaker: SessionReader.validate() (one EVALSHA: digest check in constant time, account version fence, throttled touch) on a redis-kit request client.',
    'express-session + connect-redis 9 (node-redis 6): cookie signature check, GET + JSON.parse, and a touch (EXPIRE) per request because the cookie has a maxAge.',
    "Cluster variant: the same target on a 3-master Redis Cluster on the same machine (no replicas). Every request carries the same session, so all validations share one user's slot and coalesce as on a single node: the best case. Sessions of many users spread over slots and mostly go one per call (see the sessions README's numbers).",
  ],
  variants: [
    {
      id: 'bare',
      label: 'bare Express route',
      role: 'baseline',
      description: 'Express 5 route answering fixed JSON, no session check.',
    },
    {
      id: 'express-session',
      label: 'express-session + connect-redis',
      role: 'baseline',
      description: 'express-session 1.19, connect-redis 9 on node-redis, resave/saveUninitialized off.',
    },
    {
      id: 'redwire',
      label: 'redwire SessionReader',
      role: 'redwire',
      description: 'Express route validating the __Host-sid cookie with @redwire/sessions.',
    },
    {
      id: 'redwire-cluster',
      label: 'redwire SessionReader, cluster',
      role: 'redwire',
      description:
        'The same on the 3-master cluster: the validations of one turn that share a hash slot share one EVALSHA.',
    },
  ],
  async setup({ stack, settings }): Promise<CaseSession<ThroughputRunner>> {
    // One session created on the topology's Redis, validated on every request by the session-reader target.
    const redwire = async (topology: BenchTopology) => {
      const redis = await readyRequestClient(stack.redisTarget(topology), 'bench-auth');
      try {
        const store = new SessionStore({ redis, namespace: SESSION_NAMESPACE });
        const created = await store.create(
          {
            userId: '0195f1c2-7a3b-7cde-8f01-23456789abcd',
            tag: newRoutingTag(),
            authVersion: 1,
            revision: 1,
            role: 'user',
            tier: 'free',
          },
          { userAgent: 'autocannon', ip: '127.0.0.1' },
        );
        if (!created.created) throw new Error(`session not created: ${created.reason}`);
        const { url } = await stack.startTarget('session-reader', {
          ...(topology === 'cluster' ? { clusterNodes: stack.clusterNodes } : { redisUrl: stack.redisUrl }),
          namespace: SESSION_NAMESPACE,
        });
        return httpRunner(
          { url: `${url}/me`, headers: { cookie: `${SESSION_COOKIE_NAME}=${created.token}` } },
          settings,
        );
      } finally {
        await closeClient(redis);
      }
    };
    return {
      variants: await prepareAll({
        bare: async () => {
          const { url } = await stack.startTarget('bare', {});
          return httpRunner({ url: `${url}/me` }, settings);
        },
        'express-session': async () => {
          const { url } = await stack.startTarget('express-session', { redisUrl: stack.redisUrl });
          const login = await fetch(`${url}/login`, { method: 'POST' });
          const cookie = login.headers.get('set-cookie')?.split(';')[0];
          if (login.status !== 204 || !cookie)
            throw new Error(`login answered ${login.status} without a cookie`);
          return httpRunner({ url: `${url}/me`, headers: { cookie } }, settings);
        },
        redwire: () => redwire('single'),
        'redwire-cluster': () => redwire('cluster'),
      }),
      close: async () => {},
    };
  },
};
