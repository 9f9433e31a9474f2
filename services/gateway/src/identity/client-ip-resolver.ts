import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** Options of {@link ClientIpResolver}. */
export interface ClientIpOptions {
  /**
   * How many proxies in front of the gateway append to `X-Forwarded-For` (a load balancer = 1). The
   * socket peer and the next `hops - 1` addresses to its left are trusted whatever they are. @default 0
   */
  readonly trustedHops?: number;
  /** Proxies trusted wherever they appear in the chain, e.g. `['10.0.0.0/8']`. @default [] */
  readonly trustedCidrs?: readonly string[];
  /** IPv6 clients are limited by this prefix (one customer usually owns a /56 or a /48). @default 56 */
  readonly ipv6PrefixLength?: number;
}

/** Where a request comes from. */
export interface ClientAddress {
  /** The client IP (IPv4-mapped IPv6 unwrapped to IPv4). */
  readonly ip: string;
  /** What rate limits key on: the IPv4 address, or the IPv6 prefix as hex digits plus `/len`. */
  readonly key: string;
  /** The chain to forward upstream: the client, the proxies trusted after it, then the socket peer. */
  readonly forwardedFor: string;
  /** The socket peer is a trusted proxy, so its `X-Forwarded-Proto`/`-Host` may be believed. */
  readonly viaTrustedProxy: boolean;
}

/** Parses one address as written in X-Forwarded-For or by the socket: `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::ffff:1.2.3.4`. */
function parse(raw: string): Address | undefined {
  let text = raw.trim();
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return undefined;
    text = text.slice(1, end);
  } else if (/^[\d.]+:\d+$/.test(text)) {
    text = text.slice(0, text.indexOf(':'));
  }
  // Strict forms only: ipaddr.js would also read "127.1" or "0x7f.0.0.1", which no proxy writes.
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const v6 = ipaddr.IPv6.parse(text);
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/**
 * Finds the client address of a request: the socket peer, unless the peer is a trusted proxy, in which case
 * `X-Forwarded-For` is walked from the right past every trusted hop. Entries a client wrote itself (left
 * of the first untrusted address) are never believed, so a spoofed header from an untrusted peer changes
 * nothing. `trust proxy: true` semantics (believe the leftmost entry) are deliberately not offered.
 */
export class ClientIpResolver {
  readonly #hops: number;
  readonly #cidrs: readonly [Address, number][];
  readonly #prefix: number;

  constructor(options: ClientIpOptions = {}) {
    this.#hops = options.trustedHops ?? 0;
    this.#prefix = options.ipv6PrefixLength ?? 56;
    if (!Number.isInteger(this.#hops) || this.#hops < 0 || this.#hops > 10) {
      throw new Error('trustedHops must be an integer 0-10');
    }
    if (!Number.isInteger(this.#prefix) || this.#prefix < 32 || this.#prefix > 128) {
      throw new Error('ipv6PrefixLength must be an integer 32-128');
    }
    this.#cidrs = (options.trustedCidrs ?? []).map((cidr) => {
      if (!ipaddr.isValidCIDR(cidr)) throw new Error(`trustedCidrs: "${cidr}" is not a CIDR`);
      const [address, bits] = ipaddr.parseCIDR(cidr);
      // A CIDR written as IPv4 must match unwrapped IPv4-mapped peers too; parse() unwraps those.
      return [address, bits];
    });
  }

  /**
   * @param peer the socket's remote address (`req.socket.remoteAddress`)
   * @param forwardedFor every `X-Forwarded-For` value, in order (the raw header, comma-joined by Node)
   */
  resolve(peer: string | undefined, forwardedFor: string | undefined): ClientAddress {
    const peerAddress = parse(peer ?? '') ?? ipaddr.IPv4.parse('0.0.0.0');
    const chain: Address[] = [peerAddress];
    const viaTrustedProxy = this.#hops > 0 || this.#isTrustedCidr(peerAddress);
    if (forwardedFor && viaTrustedProxy) {
      const entries = forwardedFor.split(',');
      let trusted = 0;
      for (let i = entries.length - 1; i >= 0; i--) {
        const hop = chain[chain.length - 1] as Address;
        if (!(trusted < this.#hops || this.#isTrustedCidr(hop))) break;
        const next = parse(entries[i] as string);
        // A trusted proxy never writes garbage: stop at the proxy rather than key on it.
        if (!next) break;
        chain.push(next);
        trusted++;
      }
    }
    const client = chain[chain.length - 1] as Address;
    return {
      ip: client.toString(),
      key: this.#key(client),
      forwardedFor: chain
        .slice()
        .reverse()
        .map((a) => a.toString())
        .join(', '),
      viaTrustedProxy,
    };
  }

  #isTrustedCidr(address: Address): boolean {
    for (const [range, bits] of this.#cidrs) {
      if (range.kind() === address.kind() && address.match(range as never, bits)) return true;
    }
    return false;
  }

  #key(address: Address): string {
    if (address.kind() === 'ipv4') return address.toString();
    const bytes = address.toByteArray();
    const whole = Math.floor(this.#prefix / 8);
    const rest = this.#prefix % 8;
    const kept = bytes.slice(0, whole + (rest ? 1 : 0));
    if (rest) kept[whole] = (kept[whole] as number) & (0xff << (8 - rest));
    return `${Buffer.from(kept).toString('hex')}/${this.#prefix}`;
  }
}
