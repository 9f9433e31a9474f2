import type { SignedInUser } from './accounts';
import { describeAnswer } from './describe-answer';
import type { HttpOutcome, LoopbackClient, LoopbackRequest } from './loopback-client';
import type { RequestKind, RequestRecord } from './request-record';

/** A client sending faster than its limit, to count what the limiter admits. */
export interface ProbeSpec {
  readonly intervalMs: number;
}

/** Options of {@link LoadDriver}. */
export interface LoadDriverOptions {
  readonly client: LoopbackClient;
  /**
   * The gateways' ports. Each client sticks to one of the first `balancedGateways` (its index modulo that
   * count), as behind a load balancer with affinity; the probes go round-robin over them. Gateways past
   * those get traffic only when `route()` sends clients there.
   */
  readonly gatewayPorts: readonly number[];
  /** @default every gateway */
  readonly balancedGateways?: number;
  readonly users: readonly SignedInUser[];
  /** One request per user every this many ms (open loop: the schedule does not wait for answers). @default 250 */
  readonly userIntervalMs?: number;
  /** Share of a user's requests that PATCH its own profile. @default 0.2 */
  readonly writeShare?: number;
  /** Share that GET /auth/me; the rest read a random user's profile. @default 0.1 */
  readonly meShare?: number;
  /** Anonymous readers, one source address each. @default none */
  readonly anonymous?: readonly string[];
  /** @default 200 */
  readonly anonIntervalMs?: number;
  readonly probes?: {
    /** Anonymous GETs from one address (policy `anon-ip`, 20/s, burst 40). */
    readonly anon?: ProbeSpec & { readonly address: string };
    /** GETs of one signed-in user (policy `user-free`, 10/s, burst 20). */
    readonly user?: ProbeSpec & { readonly user: SignedInUser };
    /** Logins that fail, from one address (policy `login-ip`, 10 per 60 s). */
    readonly login?: ProbeSpec & { readonly address: string };
  };
  /**
   * Session churn: every `intervalMs` the next of `users` (round-robin) logs in again, a new session; each
   * user's every other new session is logged out right after, the rest stay until they expire or the
   * per-user cap (10) revokes the oldest. Use users of their own, not the load's: the cap would revoke a
   * load user's session. Each address stays within the login policy while users × intervalMs ≥ 6 s.
   * @default none
   */
  readonly sessionChurn?: { readonly intervalMs: number; readonly users: readonly SignedInUser[] };
  /**
   * When a gateway refuses the connection (nothing was sent), retry once on the next gateway, as a load
   * balancer does with a dead upstream. @default true
   */
  readonly failover?: boolean;
  /** Receives every finished request. */
  readonly onRecord: (record: RequestRecord) => void;
  /** ms since the run's start. */
  readonly clock: () => number;
}

interface Action {
  readonly kind: RequestKind;
  readonly actor: number;
  readonly target?: number;
  readonly gateway: number;
  readonly request: Omit<LoopbackRequest, 'port'>;
  /** A follow-up sent once this one is answered (a logout of the session a login created). */
  readonly followUp?: (outcome: HttpOutcome) => Action | undefined;
}

/**
 * Drives steady load through the gateways: each simulated client sends on its own fixed schedule (an open
 * loop, so an outage does not slow the offered load down), from its own loopback address. Every request
 * is reported, answered or not.
 */
export class LoadDriver {
  readonly #o: LoadDriverOptions;
  readonly #balanced: number;
  /** Signed-in users the load balancer currently sends elsewhere: user index → gateway index. */
  readonly #routes = new Map<number, number>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
  #stopped = false;
  #writes = 0;

  constructor(options: LoadDriverOptions) {
    if (options.gatewayPorts.length === 0) throw new Error('at least one gateway port is needed');
    if (options.users.length === 0) throw new Error('at least one user is needed');
    this.#o = options;
    this.#balanced = options.balancedGateways ?? options.gatewayPorts.length;
    if (
      !Number.isInteger(this.#balanced) ||
      this.#balanced < 1 ||
      this.#balanced > options.gatewayPorts.length
    )
      throw new RangeError('balancedGateways must be between 1 and the number of gateways');
  }

  start(): void {
    const o = this.#o;
    const users = o.users;
    const userInterval = o.userIntervalMs ?? 250;
    const writeShare = o.writeShare ?? 0.2;
    const meShare = o.meShare ?? 0.1;
    const gateways = this.#balanced;
    for (const user of users) {
      this.#every(userInterval, () => {
        const roll = Math.random();
        const gateway = this.#gatewayOf(user.index);
        if (roll < writeShare) {
          return {
            kind: 'write',
            actor: user.index,
            target: user.index,
            gateway,
            request: {
              method: 'PATCH',
              path: `/users/${user.id}`,
              localAddress: user.address,
              token: user.token,
              json: { bio: `write ${++this.#writes}` },
            },
          };
        }
        if (roll < writeShare + meShare) {
          return {
            kind: 'me',
            actor: user.index,
            gateway,
            request: { method: 'GET', path: '/auth/me', localAddress: user.address, token: user.token },
          };
        }
        const target = randomUser(users);
        return {
          kind: 'read',
          actor: user.index,
          target: target.index,
          gateway,
          request: {
            method: 'GET',
            path: `/users/${target.id}`,
            localAddress: user.address,
            token: user.token,
          },
        };
      });
    }
    (o.anonymous ?? []).forEach((address, actor) => {
      this.#every(o.anonIntervalMs ?? 200, () => {
        const target = randomUser(users);
        return {
          kind: 'anon-read',
          actor,
          target: target.index,
          gateway: actor % gateways,
          request: { method: 'GET', path: `/users/${target.id}`, localAddress: address },
        };
      });
    });
    const { anon, user, login } = o.probes ?? {};
    let turn = 0;
    const nextGateway = () => turn++ % gateways;
    if (anon) {
      this.#every(anon.intervalMs, () => {
        const target = randomUser(users);
        return {
          kind: 'probe-anon',
          actor: 0,
          target: target.index,
          gateway: nextGateway(),
          request: { method: 'GET', path: `/users/${target.id}`, localAddress: anon.address },
        };
      });
    }
    if (user) {
      this.#every(user.intervalMs, () => ({
        kind: 'probe-user',
        actor: user.user.index,
        target: user.user.index,
        gateway: nextGateway(),
        request: {
          method: 'GET',
          path: `/users/${user.user.id}`,
          localAddress: user.user.address,
          token: user.user.token,
        },
      }));
    }
    if (o.sessionChurn) this.#churn(o.sessionChurn.intervalMs, o.sessionChurn.users);
    if (login) {
      this.#every(login.intervalMs, () => ({
        kind: 'probe-login',
        actor: 0,
        gateway: nextGateway(),
        request: {
          method: 'POST',
          path: '/auth/login',
          localAddress: login.address,
          json: { email: 'nobody-at-all@example.com', password: 'not-the-password-of-anyone' },
        },
      }));
    }
  }

  /**
   * Sends these signed-in users to another gateway from now on (a load balancer draining or filling an
   * instance), or back to their usual one with `undefined`.
   */
  route(users: readonly number[], gateway: number | undefined): void {
    if (gateway !== undefined && (gateway < 0 || gateway >= this.#o.gatewayPorts.length))
      throw new RangeError(`no gateway ${gateway}`);
    for (const user of users) {
      if (gateway === undefined) this.#routes.delete(user);
      else this.#routes.set(user, gateway);
    }
  }

  #gatewayOf(user: number): number {
    return this.#routes.get(user) ?? user % this.#balanced;
  }

  #churn(intervalMs: number, users: readonly SignedInUser[]): void {
    const gateways = this.#balanced;
    const logins = new Map<number, number>();
    let next = 0;
    this.#every(intervalMs, () => {
      const user = users[next++ % users.length] as SignedInUser;
      const nth = (logins.get(user.index) ?? 0) + 1;
      logins.set(user.index, nth);
      return {
        kind: 'login',
        actor: user.index,
        gateway: user.index % gateways,
        request: {
          method: 'POST',
          path: '/auth/login',
          localAddress: user.address,
          json: { email: user.email, password: user.password },
        },
        followUp: (outcome) => {
          const token =
            outcome.status === 200 ? (JSON.parse(outcome.body) as { token?: string }).token : undefined;
          // Every other new session of a user is kept until it expires or the per-user cap revokes it.
          if (!token || nth % 2 === 0) return undefined;
          return {
            kind: 'logout',
            actor: user.index,
            gateway: user.index % gateways,
            request: { method: 'POST', path: '/auth/logout', localAddress: user.address, token },
          };
        },
      };
    });
  }

  /** Stops sending and waits for every request in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await Promise.all([...this.#inFlight]);
  }

  /** Runs `next()` every `intervalMs` on a fixed schedule, starting after a random offset. */
  #every(intervalMs: number, next: () => Action): void {
    let due = this.#o.clock() + Math.random() * intervalMs;
    const tick = () => {
      if (this.#stopped) return;
      const now = this.#o.clock();
      if (now >= due) {
        this.#fire(next());
        due += intervalMs;
        // A stalled event loop (the driver shares 2 cores with the stack) resumes the schedule instead of
        // sending a burst to catch up.
        if (now - due > 4 * intervalMs) due = now + intervalMs;
      }
      const timer = setTimeout(
        () => {
          this.#timers.delete(timer);
          tick();
        },
        Math.max(0, due - this.#o.clock()),
      );
      this.#timers.add(timer);
    };
    tick();
  }

  #fire(action: Action): void {
    const run = this.#send(action).then(
      ({ record, outcome }) => {
        this.#o.onRecord(record);
        const next = action.followUp?.(outcome);
        if (next && !this.#stopped) this.#fire(next);
      },
      () => {},
    );
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
  }

  async #send(action: Action): Promise<{ record: RequestRecord; outcome: HttpOutcome }> {
    const { client, gatewayPorts, clock } = this.#o;
    const start = clock();
    let gateway = action.gateway;
    let outcome = await client.send({ ...action.request, port: gatewayPorts[gateway] as number });
    let failedOver = false;
    if (
      outcome.status === 0 &&
      outcome.error === 'ECONNREFUSED' &&
      (this.#o.failover ?? true) &&
      this.#balanced > 1
    ) {
      gateway = (gateway + 1) % this.#balanced;
      failedOver = true;
      outcome = await client.send({ ...action.request, port: gatewayPorts[gateway] as number });
    }
    const end = clock();
    const record: RequestRecord = {
      kind: action.kind,
      actor: action.actor,
      ...(action.target !== undefined ? { target: action.target } : {}),
      gateway,
      start,
      end,
      status: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...describeAnswer(outcome),
      ...(failedOver ? { failedOver } : {}),
    };
    return { record, outcome };
  }
}

function randomUser(users: readonly SignedInUser[]): SignedInUser {
  return users[Math.floor(Math.random() * users.length)] as SignedInUser;
}
