import { uniquePrefix } from '@redwire/testing';
import { RateLimitKeys } from '../../src/rate-limit-keys';

/** A random key prefix, so tests sharing a server never collide. */
export function testPrefix(): string {
  return `${uniquePrefix('t')}:ratelimit`;
}

/** The limiter's key builder behind a random prefix. */
export function testKeys(): RateLimitKeys {
  return new RateLimitKeys(testPrefix());
}
