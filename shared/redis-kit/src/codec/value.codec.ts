import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { z } from 'zod';
import { ValueTooLargeError } from '../errors';
import { positiveInt, resolveOptions } from '../internal/options';
import { parseTagged, stringifyTagged } from './tagged-json';

/** Options for a value codec. */
export interface CodecOptions {
  /**
   * Largest stored value in bytes (after compression). `encode` throws ValueTooLargeError above it;
   * `decode` treats a longer stored value as a miss.
   * @default 65536
   */
  maxBytes?: number;
  /**
   * Compress the JSON when it is longer than this many bytes (raw deflate, stored as `~z1:` + base64 so
   * values stay strings); `false` never compresses. Off by default: cached records are small, and
   * inflating costs CPU on the hit path. Turn it on for codecs of large documents.
   * @default false
   */
  compressAboveBytes?: number | false;
  /** A compressed value that inflates past this many bytes is a miss (a corrupt or hostile value). @default 1048576 */
  maxInflatedBytes?: number;
}

/** Why a read produced no value. Every reason is a cache miss for the caller, never an exception. */
export type MissReason = 'absent' | 'too-large' | 'corrupt' | 'invalid-json' | 'schema-mismatch';

/** The result of `decode`: a hit with the typed value, or a miss with its reason. */
export type Decoded<T> =
  | { hit: true; value: T }
  | { hit: false; value: undefined; reason: MissReason; error?: unknown };

const COMPRESSED_PREFIX = '~z1:';

const optionsSchema = z.object({
  maxBytes: positiveInt().default(65536),
  compressAboveBytes: z.union([positiveInt(), z.literal(false)]).default(false),
  maxInflatedBytes: positiveInt().default(1048576),
});

const ABSENT = Object.freeze({ hit: false as const, value: undefined, reason: 'absent' as const });

/**
 * Serialises values for Redis and validates them on the way back with a zod schema: JSON with Date and
 * BigInt tags, a size cap, optional compression. Use schemas whose input accepts their own output (no
 * transforms), since the stored form is the output.
 */
export class ValueCodec<T> {
  private readonly options: z.output<typeof optionsSchema>;

  constructor(
    private readonly schema: z.ZodType<T>,
    options: CodecOptions = {},
  ) {
    this.options = resolveOptions('ValueCodec', optionsSchema, options);
  }

  /** The stored form of `value`. Throws ValueTooLargeError above `maxBytes` (nothing should be written). */
  encode(value: T): string {
    const json = stringifyTagged(value);
    const { compressAboveBytes, maxBytes } = this.options;
    let stored = json;
    let bytes = Buffer.byteLength(json, 'utf8');
    if (compressAboveBytes !== false && bytes > compressAboveBytes) {
      stored = COMPRESSED_PREFIX + deflateRawSync(json).toString('base64');
      bytes = stored.length;
    }
    if (bytes > maxBytes) throw new ValueTooLargeError(bytes, maxBytes);
    return stored;
  }

  /** Reads a stored value (GET's reply). Anything unreadable is a miss with a reason, never a throw. */
  decode(raw: string | Buffer | null | undefined): Decoded<T> {
    if (raw === null || raw === undefined) return ABSENT;
    // UTF-8 never has fewer bytes than UTF-16 units, so a string longer than the cap is over it.
    if (raw.length > this.options.maxBytes) return miss('too-large');
    let text = typeof raw === 'string' ? raw : raw.toString('utf8');
    if (text.startsWith(COMPRESSED_PREFIX)) {
      try {
        text = inflateRawSync(Buffer.from(text.slice(COMPRESSED_PREFIX.length), 'base64'), {
          maxOutputLength: this.options.maxInflatedBytes,
        }).toString('utf8');
      } catch (error) {
        return miss('corrupt', error);
      }
    }
    let parsed: unknown;
    try {
      parsed = parseTagged(text);
    } catch (error) {
      return miss('invalid-json', error);
    }
    const result = this.schema.safeParse(parsed);
    return result.success ? { hit: true, value: result.data } : miss('schema-mismatch', result.error);
  }
}

function miss(reason: MissReason, error?: unknown): Decoded<never> {
  return { hit: false, value: undefined, reason, ...(error === undefined ? {} : { error }) };
}

/** A codec for the values of `schema`; the decoded type is the schema's output type. */
export function createCodec<S extends z.ZodType>(schema: S, options?: CodecOptions): ValueCodec<z.output<S>> {
  return new ValueCodec(schema as z.ZodType<z.output<S>>, options);
}
