import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoopbackAddresses } from './loopback-addresses';
import type { HttpOutcome, LoopbackClient, LoopbackRequest } from './loopback-client';

/** A registered, signed-in user driving load from its own source address. */
export interface SignedInUser {
  /** Position in the run's user list. */
  readonly index: number;
  readonly id: string;
  readonly email: string;
  /** The bearer token of the one session created at sign-up. */
  readonly token: string;
  /** Its password, for later logins (session churn). */
  readonly password: string;
  readonly address: string;
  /** The profile version right after registration. */
  readonly version: number;
}

/** A password that passes the policy (15–256 characters); every simulated user has its own. */
function password(): string {
  return `load-${randomBytes(12).toString('base64url')}`;
}

/**
 * Registers and logs in `count` users through the gateway on `port`, each from its own address (the
 * register and login policies are per address), `concurrency` at a time: registration and login both hash
 * a password, which auth does a few at a time.
 */
export async function signUpUsers(
  client: LoopbackClient,
  options: {
    readonly port: number;
    readonly count: number;
    readonly addresses: LoopbackAddresses;
    /** Distinguishes this run's accounts from earlier runs' in a kept database. */
    readonly runId: string;
    /** @default 4 */
    readonly concurrency?: number;
    /** @default `load` */
    readonly label?: string;
  },
): Promise<SignedInUser[]> {
  const users: SignedInUser[] = new Array(options.count);
  let next = 0;
  const work = async () => {
    for (let index = next++; index < options.count; index = next++) {
      users[index] = await signUp(client, options.port, {
        index,
        email: `${options.label ?? 'load'}-${options.runId}-${index}@example.com`,
        address: options.addresses.next(),
      });
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, work));
  return users;
}

/** Sends, retrying what a busy stack may refuse for a moment (no answer, 5xx) up to 5 times. */
async function sendRetrying(client: LoopbackClient, request: LoopbackRequest): Promise<HttpOutcome> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await client.send(request);
    if ((outcome.status !== 0 && outcome.status < 500) || attempt === 5) return outcome;
    await sleep(200 * 2 ** attempt);
  }
}

async function signUp(
  client: LoopbackClient,
  port: number,
  who: { index: number; email: string; address: string },
): Promise<SignedInUser> {
  const secret = password();
  const send = (method: string, path: string, extra: Partial<LoopbackRequest> = {}) =>
    sendRetrying(client, { port, method, path, localAddress: who.address, ...extra });
  const registered = await send('POST', '/auth/register', {
    json: { email: who.email, password: secret, name: `Load ${who.index}` },
  });
  // 409 after a retry: the first attempt registered the account, its answer was lost.
  if (registered.status !== 201 && registered.status !== 409)
    throw new Error(`register ${who.email}: ${registered.status} ${registered.error ?? registered.body}`);
  const login = await send('POST', '/auth/login', { json: { email: who.email, password: secret } });
  if (login.status !== 200)
    throw new Error(`login ${who.email}: ${login.status} ${login.error ?? login.body}`);
  const body = JSON.parse(login.body) as { user: { id: string }; token: string };
  // The profile (the GET shape) carries the version this user starts from.
  const profile = await send('GET', `/users/${body.user.id}`, { token: body.token });
  const version =
    profile.status === 200 ? (JSON.parse(profile.body) as { version?: unknown }).version : undefined;
  if (typeof version !== 'number')
    throw new Error(`profile of ${who.email}: ${profile.status} ${profile.body}`);
  return { ...who, id: body.user.id, token: body.token, password: secret, version };
}
