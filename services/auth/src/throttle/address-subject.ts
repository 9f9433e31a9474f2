import ipaddr from 'ipaddr.js';

/**
 * The part of a client address the login back-off keys on: an IPv4 address as is, an IPv6 address by its
 * first `ipv6PrefixLength` bits (one subscriber usually holds a whole /56 or /64, so keying single IPv6
 * addresses would give an attacker billions of fresh pairs). IPv4-mapped IPv6 counts as IPv4. Anything
 * unparseable (no address at all) shares one subject, which only ever makes the back-off stricter.
 */
export function addressSubject(address: string | undefined, ipv6PrefixLength = 56): string {
  if (!address || !ipaddr.isValid(address)) return 'unknown';
  const parsed = ipaddr.process(address);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const bytes = parsed.toByteArray();
  const whole = Math.floor(ipv6PrefixLength / 8);
  const rest = ipv6PrefixLength % 8;
  const kept = bytes.slice(0, whole);
  if (rest > 0) kept.push((bytes[whole] ?? 0) & (0xff << (8 - rest)) & 0xff);
  return `${Buffer.from(kept).toString('hex')}/${ipv6PrefixLength}`;
}
