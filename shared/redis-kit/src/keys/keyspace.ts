import { InvalidKeyError } from '../errors';

/** Options for a service's key builder. */
export interface KeyspaceOptions {
  /** The owning service, the first segment of every key (`user`, `auth`, `gateway`). Required. */
  service: string;
  /**
   * A namespace put in front of the service, for deployments sharing one Redis or for test isolation
   * (`<namespace>:<service>:...`).
   * @default none
   */
  namespace?: string;
}

/** A value usable as a key id. Numbers must be integers so `1` and `1.0` cannot name different keys. */
export type KeyPart = string | number | bigint;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const MAX_PART_LENGTH = 512;
// Percent-encode the separator, hash-tag braces, the escape character itself, whitespace and control
// characters, so a caller-supplied id can neither forge another key's structure nor pick a hash slot.
const UNSAFE = /[%:{}\s\p{Cc}]/gu;
// Ids that need no encoding (random tokens, UUIDs, numbers) skip the Unicode-aware replace: keys are built
// on every request.
const PLAIN = /^[A-Za-z0-9_.-]+$/;

function checkName(kind: string, value: string): string {
  if (!NAME.test(value)) {
    throw new InvalidKeyError(`${kind} "${value}" must match ${NAME.source} (lowercase, digits, . _ -)`);
  }
  return value;
}

/** Encodes one caller-supplied key part injectively; empty or very long parts are refused. */
export function encodeKeyPart(part: KeyPart): string {
  if (typeof part === 'number' && !Number.isSafeInteger(part)) {
    throw new InvalidKeyError(`numeric key part ${part} is not a safe integer`);
  }
  const text = String(part);
  if (text.length === 0) throw new InvalidKeyError('key part must not be empty');
  if (text.length > MAX_PART_LENGTH) {
    throw new InvalidKeyError(`key part is ${text.length} characters, above ${MAX_PART_LENGTH}`);
  }
  return PLAIN.test(text) ? text : text.replace(UNSAFE, encodeURIComponent);
}

/**
 * The one key builder of a service: every key is `<service>:<entity>:<id>[:<part>...]`, optionally behind
 * a namespace. Entity names are checked (lowercase names); ids and parts are encoded so user input can
 * never inject `:` or `{}`. Build a `keys.ts` module per service on top of one instance.
 *
 * @example
 * const keys = new Keyspace({ service: 'auth' });
 * keys.key('session', sid)                 // auth:session:<sid>
 * keys.tagged('user', userId, 'sessions')  // auth:user:{<userId>}:sessions  (same slot as ...)
 * keys.tagged('user', userId, 'version')   // auth:user:{<userId>}:version
 */
export class Keyspace {
  /** `<namespace>:<service>` or `<service>`: every key of this keyspace starts with it plus `:`. */
  readonly prefix: string;
  readonly service: string;

  constructor(options: KeyspaceOptions) {
    this.service = checkName('service', options.service);
    const namespace = options.namespace === undefined ? undefined : checkName('namespace', options.namespace);
    this.prefix = namespace ? `${namespace}:${this.service}` : this.service;
  }

  /** `<prefix>:<entity>:<id>[:<part>...]`: a single-key key (no hash tag; spreads across the cluster). */
  key(entity: string, id: KeyPart, ...parts: KeyPart[]): string {
    let key = `${this.prefix}:${checkName('entity', entity)}:${encodeKeyPart(id)}`;
    for (const part of parts) key += `:${encodeKeyPart(part)}`;
    return key;
  }

  /**
   * `<prefix>:<entity>:{<tag>}[:<part>...]`: every key built with the same tag lands in the same hash
   * slot, whatever the entity, so a multi-key script over them runs on Redis Cluster.
   */
  tagged(entity: string, tag: KeyPart, ...parts: KeyPart[]): string {
    let key = `${this.prefix}:${checkName('entity', entity)}:{${encodeKeyPart(tag)}}`;
    for (const part of parts) key += `:${encodeKeyPart(part)}`;
    return key;
  }

  /**
   * The key of a stream named `name`: `<prefix>:stream:{<name>}`. The tag keeps the stream and the keys
   * derived from it (its dead-letter stream `<key>:dlq`) in one slot.
   */
  stream(name: string): string {
    return this.tagged('stream', checkName('stream name', name));
  }
}
