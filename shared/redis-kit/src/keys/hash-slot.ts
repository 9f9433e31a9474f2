/// <reference path="./cluster-key-slot.d.ts" />
import calculateSlot from 'cluster-key-slot';
import { CrossSlotError } from '../errors';

/** The part of a key Redis Cluster hashes: the first non-empty `{...}` section, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/**
 * The Redis Cluster hash slot (0–16383) of a key, computed exactly as the server does (CRC16 of the hash
 * tag, mod 16384). The CRC is `cluster-key-slot`, the function ioredis routes Cluster commands with; it gets
 * the key's UTF-8 bytes, which are what the server hashes even for a string with a lone surrogate.
 */
export function keySlot(key: string): number {
  return calculateSlot(Buffer.from(key, 'utf8'));
}

/** Throws CrossSlotError unless every key maps to the same hash slot (what a Cluster script requires). */
export function assertSameSlot(keys: readonly string[]): void {
  if (keys.length < 2) return;
  const first = keySlot(keys[0] as string);
  for (let i = 1; i < keys.length; i++) {
    if (keySlot(keys[i] as string) !== first) throw new CrossSlotError(keys);
  }
}
