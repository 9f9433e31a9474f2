import { randomInt } from 'node:crypto';

/**
 * Source addresses for simulated clients: `127.<net>.<hi>.<lo>`, one per client. Linux routes all of
 * 127.0.0.0/8 to the loopback interface, so a socket can bind any of them without set-up. `net` is picked
 * per run, so a run against a Redis that kept earlier runs' rate-limit state (REDWIRE_DATA_DIR; the
 * registration policy allows 5 per address per hour) starts from fresh addresses.
 */
export class LoopbackAddresses {
  readonly #net: number;
  #next = 0;

  /** @param net second octet, 2-254 (never 127.0.x.x or 127.1.x.x, where people run things). @default random */
  constructor(net: number = randomInt(2, 255)) {
    if (!Number.isInteger(net) || net < 2 || net > 254)
      throw new RangeError('net must be an integer in 2..254');
    this.#net = net;
  }

  /** A fresh address, never handed out before by this instance. */
  next(): string {
    const index = this.#next++;
    const hi = Math.floor(index / 254);
    if (hi > 255) throw new RangeError('out of loopback addresses (65,024 per run)');
    return `127.${this.#net}.${hi}.${(index % 254) + 1}`;
  }
}
