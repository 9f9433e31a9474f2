import { CrossSlotError } from '../errors';

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The part of a key Redis Cluster hashes: the first non-empty `{...}` section, else the whole key. */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The Redis Cluster hash slot (0–16383) of a key, computed exactly as the server does (CRC16 mod 16384). */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashTagOf(key), 'utf8')) % 16384;
}

/** Throws CrossSlotError unless every key maps to the same hash slot (what a Cluster script requires). */
export function assertSameSlot(keys: readonly string[]): void {
  if (keys.length < 2) return;
  const first = keySlot(keys[0] as string);
  for (let i = 1; i < keys.length; i++) {
    if (keySlot(keys[i] as string) !== first) throw new CrossSlotError(keys);
  }
}
