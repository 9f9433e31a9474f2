import { setTimeout as sleep } from 'node:timers/promises';
import type { SignedInUser } from '../../traffic/accounts';
import type { LoopbackClient } from '../../traffic/loopback-client';
import type { RequestRecord } from '../../traffic/request-record';
import type { SessionCheck } from '../chaos-report.types';

/**
 * Every session created before the faults (one per user, at sign-up) must still be accepted after them:
 * GET /auth/me answers 200 for its token. 401 is a lost session; any other answer is retried a few times
 * (the check runs once the stack is healthy again) and then counted as lost too.
 */
export async function checkSessions(
  client: LoopbackClient,
  port: number,
  users: readonly SignedInUser[],
  records: readonly RequestRecord[],
): Promise<SessionCheck> {
  let lost = 0;
  let next = 0;
  const work = async () => {
    for (let i = next++; i < users.length; i = next++) {
      const user = users[i] as SignedInUser;
      let status = 0;
      for (let attempt = 0; attempt < 5; attempt++) {
        status = (
          await client.send({
            port,
            method: 'GET',
            path: '/auth/me',
            localAddress: user.address,
            token: user.token,
          })
        ).status;
        if (status === 200 || status === 401) break;
        await sleep(500);
      }
      if (status !== 200) lost++;
    }
  };
  await Promise.all(Array.from({ length: 8 }, work));
  const signedIn = new Set(['read', 'write', 'me', 'probe-user']);
  return {
    sessions: users.length,
    lost,
    rejectedDuringRun: records.filter((r) => signedIn.has(r.kind) && r.status === 401).length,
  };
}
