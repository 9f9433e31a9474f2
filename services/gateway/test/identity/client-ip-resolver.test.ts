import { describe, expect, it } from 'vitest';
import { ClientIpResolver } from '../../src/identity/client-ip-resolver';

describe('ClientIpResolver', () => {
  it('when an untrusted peer sends X-Forwarded-For, then the header is ignored', () => {
    const resolver = new ClientIpResolver({ trustedCidrs: ['10.0.0.0/8'] });
    const address = resolver.resolve('203.0.113.9', '1.2.3.4, 5.6.7.8');
    expect(address).toEqual({
      ip: '203.0.113.9',
      key: '203.0.113.9',
      forwardedFor: '203.0.113.9',
      viaTrustedProxy: false,
    });
  });

  it('when no proxy is trusted, then X-Forwarded-For is ignored even from a private peer', () => {
    expect(new ClientIpResolver().resolve('10.0.0.1', '1.2.3.4').ip).toBe('10.0.0.1');
  });

  it('when the peer is a trusted CIDR, then the rightmost untrusted X-Forwarded-For entry is the client', () => {
    const resolver = new ClientIpResolver({ trustedCidrs: ['10.0.0.0/8', '192.168.0.0/16'] });
    const address = resolver.resolve('10.1.1.1', '6.6.6.6, 198.51.100.7, 192.168.3.4');
    expect(address.ip).toBe('198.51.100.7');
    expect(address.forwardedFor).toBe('198.51.100.7, 192.168.3.4, 10.1.1.1');
  });

  it('when one hop is trusted, then the client is the last X-Forwarded-For entry and spoofed ones left of it are dropped', () => {
    const resolver = new ClientIpResolver({ trustedHops: 1 });
    const address = resolver.resolve('172.16.0.5', 'spoofed, 6.6.6.6, 198.51.100.7');
    expect(address.ip).toBe('198.51.100.7');
    expect(address.forwardedFor).toBe('198.51.100.7, 172.16.0.5');
  });

  it('when the trusted hops exceed the chain, then the leftmost entry is the client', () => {
    expect(new ClientIpResolver({ trustedHops: 3 }).resolve('10.0.0.1', '198.51.100.7').ip).toBe(
      '198.51.100.7',
    );
  });

  it('when a trusted proxy forwards garbage, then the proxy itself is used rather than the garbage', () => {
    expect(new ClientIpResolver({ trustedHops: 1 }).resolve('10.0.0.1', 'not-an-ip').ip).toBe('10.0.0.1');
  });

  it('when two IPv6 addresses share a /56, then they share a key, and a neighbouring /56 does not', () => {
    const resolver = new ClientIpResolver();
    const a = resolver.resolve('2001:db8:1234:5600::1', undefined);
    const b = resolver.resolve('2001:db8:1234:56ff:ffff:ffff:ffff:ffff', undefined);
    const c = resolver.resolve('2001:db8:1234:5700::1', undefined);
    expect(a.key).toBe('20010db8123456/56');
    expect(b.key).toBe(a.key);
    expect(c.key).not.toBe(a.key);
    expect(a.ip).not.toBe(b.ip);
  });

  it('when the prefix length is 48 or not a byte multiple, then the key masks the right bits', () => {
    expect(
      new ClientIpResolver({ ipv6PrefixLength: 48 }).resolve('2001:db8:1234:5678::1', undefined).key,
    ).toBe('20010db81234/48');
    expect(
      new ClientIpResolver({ ipv6PrefixLength: 60 }).resolve('2001:db8:1234:567f::1', undefined).key,
    ).toBe('20010db812345670/60');
  });

  it('when the peer is IPv4-mapped IPv6, then it is unwrapped to IPv4, and an IPv4-embedded non-mapped address is not', () => {
    const resolver = new ClientIpResolver({ trustedCidrs: ['10.0.0.0/8'] });
    expect(resolver.resolve('::ffff:1.2.3.4', undefined)).toMatchObject({ ip: '1.2.3.4', key: '1.2.3.4' });
    expect(resolver.resolve('::ffff:10.0.0.2', '198.51.100.1').ip).toBe('198.51.100.1');
    expect(resolver.resolve('2001:db8::1.2.3.4', undefined).key).toBe('20010db8000000/56');
  });

  it('when X-Forwarded-For entries carry ports or brackets, then the address is still read', () => {
    const resolver = new ClientIpResolver({ trustedHops: 2 });
    expect(resolver.resolve('10.0.0.1', '[2001:db8::5]:4711, 192.0.2.1:8080').ip).toBe('2001:db8::5');
  });

  it('when options are invalid, then the constructor refuses them', () => {
    expect(() => new ClientIpResolver({ trustedCidrs: ['10.0.0.0'] })).toThrow(/CIDR/);
    expect(() => new ClientIpResolver({ trustedHops: -1 })).toThrow(/trustedHops/);
    expect(() => new ClientIpResolver({ ipv6PrefixLength: 8 })).toThrow(/ipv6PrefixLength/);
  });
});
