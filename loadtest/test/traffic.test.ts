import { describe, expect, it } from 'vitest';
import { describeAnswer } from '../src/traffic/describe-answer';
import { LoopbackAddresses } from '../src/traffic/loopback-addresses';
import { failureKinds } from '../src/traffic/request-record';

describe('describeAnswer', () => {
  it('when a 200 carries the degraded-session header and a profile, then both are read', () => {
    expect(
      describeAnswer({
        status: 200,
        headers: { 'redwire-degraded': 'sessions', 'ratelimit-mode': 'degraded-local' },
        body: '{"id":"x","version":7}',
      }),
    ).toEqual({ version: 7, degraded: true, limiterMode: 'degraded-local' });
  });

  it('when an error carries problem+json, then its code, detail and Retry-After are read, and no version', () => {
    expect(
      describeAnswer({
        status: 503,
        headers: { 'retry-after': '1' },
        body: '{"code":"E_UNAVAILABLE","detail":"The session could not be checked; retry shortly.","version":3}',
      }),
    ).toEqual({
      code: 'E_UNAVAILABLE',
      detail: 'The session could not be checked; retry shortly.',
      retryAfter: true,
    });
  });

  it('when the header names another degradation or the body is not JSON, then nothing is claimed', () => {
    expect(describeAnswer({ status: 200, headers: { 'redwire-degraded': 'limits' }, body: 'ok' })).toEqual(
      {},
    );
  });
});

describe('LoopbackAddresses', () => {
  it('when addresses are handed out, then each is a new 127/8 address never ending in .0 or .255', () => {
    const addresses = new LoopbackAddresses(42);
    const seen = Array.from({ length: 600 }, () => addresses.next());
    expect(new Set(seen).size).toBe(600);
    expect(seen[0]).toBe('127.42.0.1');
    expect(seen[254]).toBe('127.42.1.1');
    for (const a of seen) expect(a).toMatch(/^127\.42\.\d+\.([1-9]\d?|1\d\d|2[0-4]\d|25[0-4])$/);
  });
});

describe('failureKinds', () => {
  it('when failures differ by code, detail or client error, then they are counted apart, the most frequent first', () => {
    const base = { kind: 'read' as const, actor: 0, gateway: 0, start: 0, end: 1 };
    expect(
      failureKinds([
        { ...base, status: 0, error: 'ECONNREFUSED' },
        { ...base, status: 502, code: 'E_UPSTREAM', detail: 'An upstream service failed.' },
        { ...base, status: 502, code: 'E_UPSTREAM', detail: 'An upstream service failed.' },
      ]),
    ).toEqual({ '502 E_UPSTREAM (An upstream service failed.)': 2, ECONNREFUSED: 1 });
  });
});
