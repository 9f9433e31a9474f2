import type { Socket } from 'node:net';
import { type AppError, errors } from '@redwire/http-kit';
import { Counter, type Registry } from 'prom-client';

/** Options of {@link ClientBounds}. Every bound is per client; a client over one gets a 429. */
export interface ClientBoundsOptions {
  /** Open connections per client address (IPv6: per prefix); trusted proxies are exempt. @default 128 */
  readonly maxConnectionsPerAddress?: number;
  /** Requests per client (the signed-in user, else the address) past the rate limiter and not yet answered. @default 32 */
  readonly maxInFlightPerClient?: number;
  /** Request bodies per client being read at once. @default 8 */
  readonly maxUploadsPerClient?: number;
  /** Where `gateway_client_bound_refusals_total` is registered. @default none (not exported) */
  readonly registry?: Registry;
}

/** The bounds, as they appear in `violated-policies` of the 429 and in the metric's `bound` label. */
export type BoundName = 'client-connections' | 'client-in-flight' | 'client-uploads';

/** Gives a slot back; calling it again does nothing. */
export type Release = () => void;

const DETAILS: Record<BoundName, string> = {
  'client-connections': 'Too many open connections from this address; this one closes.',
  'client-in-flight': 'Too many requests of this client are in flight; retry when one has been answered.',
  'client-uploads': 'Too many request bodies of this client are being uploaded at once.',
};

/** Occupancy per key; a key disappears when its count returns to 0, so the map holds active clients only. */
class Occupancy {
  readonly #counts = new Map<string, number>();
  constructor(readonly max: number) {}

  acquire(key: string): Release | undefined {
    const count = this.#counts.get(key) ?? 0;
    if (count >= this.max) return undefined;
    this.#counts.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left === 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    };
  }

  get keys(): number {
    return this.#counts.size;
  }
}

/**
 * What one client may hold at the gateway at once: connections, requests in flight (each may hold an
 * upstream socket of a pool of 256 per service), and bodies being uploaded (each holds up to the body
 * limit in memory). A client over a bound is answered 429 `E_RATE_LIMITED` with the bound's name in
 * `violated-policies` and `Retry-After: 1`: it is the client's own load, and waiting helps.
 */
export class ClientBounds {
  readonly #connections: Occupancy;
  readonly #inFlight: Occupancy;
  readonly #uploads: Occupancy;
  /** Connections accepted over their address's bound: answered 429 at their first request, then closed. */
  readonly #refused = new WeakSet<Socket>();
  readonly #refusals: Counter<'bound'> | undefined;

  constructor(options: ClientBoundsOptions = {}) {
    const bounds = {
      maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 128,
      maxInFlightPerClient: options.maxInFlightPerClient ?? 32,
      maxUploadsPerClient: options.maxUploadsPerClient ?? 8,
    };
    for (const [name, value] of Object.entries(bounds)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
    }
    this.#connections = new Occupancy(bounds.maxConnectionsPerAddress);
    this.#inFlight = new Occupancy(bounds.maxInFlightPerClient);
    this.#uploads = new Occupancy(bounds.maxUploadsPerClient);
    this.#refusals = options.registry
      ? new Counter({
          name: 'gateway_client_bound_refusals_total',
          help: 'Requests answered 429 because their client was over a per-client bound (connections, in-flight requests, uploads).',
          labelNames: ['bound'],
          registers: [options.registry],
        })
      : undefined;
  }

  /**
   * Counts a new connection of `addressKey` until it closes (call it as the connection is accepted);
   * `undefined` (a trusted proxy, which carries many clients) is not counted. A connection over the
   * bound is kept just long enough to answer its first request with the 429.
   */
  admitConnection(socket: Socket, addressKey: string | undefined): void {
    if (addressKey === undefined) return;
    const release = this.#connections.acquire(addressKey);
    if (release) socket.once('close', release);
    else this.#refused.add(socket);
  }

  /** The refusal for a request on a connection that was over its address's bound, if it was. */
  connectionRefusal(socket: Socket): AppError | undefined {
    return this.#refused.has(socket) ? this.#refusal('client-connections', true) : undefined;
  }

  /** A slot for one request in flight for `clientKey`, or the 429 to answer. */
  acquireInFlight(clientKey: string): Release | AppError {
    return this.#inFlight.acquire(clientKey) ?? this.#refusal('client-in-flight', false);
  }

  /** A slot for one body upload by `clientKey`, or the 429 to answer (with `Connection: close`: the body is unread). */
  acquireUpload(clientKey: string): Release | AppError {
    return this.#uploads.acquire(clientKey) ?? this.#refusal('client-uploads', true);
  }

  /** Clients currently holding connections, requests in flight, uploads: 0 when idle (no key outlives its use). */
  get active(): { connections: number; inFlight: number; uploads: number } {
    return {
      connections: this.#connections.keys,
      inFlight: this.#inFlight.keys,
      uploads: this.#uploads.keys,
    };
  }

  #refusal(bound: BoundName, close: boolean): AppError {
    this.#refusals?.inc({ bound });
    return errors.E_RATE_LIMITED({
      violatedPolicies: [bound],
      retryAfterSeconds: 1,
      detail: DETAILS[bound],
      ...(close ? { headers: { Connection: 'close' } } : {}),
    });
  }
}
