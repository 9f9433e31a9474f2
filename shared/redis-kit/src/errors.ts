/** Stable machine-readable codes for every error this package throws on purpose. */
export type RedisKitErrorCode =
  | 'REDIS_KIT_INVALID_OPTIONS'
  | 'REDIS_KIT_INVALID_KEY'
  | 'REDIS_KIT_CROSS_SLOT'
  | 'REDIS_KIT_VALUE_TOO_LARGE'
  | 'REDIS_KIT_CIRCUIT_OPEN'
  | 'REDIS_KIT_IDEMPOTENCY_IN_PROGRESS'
  | 'REDIS_KIT_SCRIPT_REPLY';

/** Base class: `code` is stable, `message` is for humans, `cause` keeps the underlying error. */
export class RedisKitError extends Error {
  override name = 'RedisKitError';
  readonly code: RedisKitErrorCode;

  constructor(code: RedisKitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A constructor or factory got options that fail validation; the message lists every bad field. */
export class InvalidOptionsError extends RedisKitError {
  override name = 'InvalidOptionsError';
  constructor(
    readonly component: string,
    readonly issues: readonly string[],
  ) {
    super('REDIS_KIT_INVALID_OPTIONS', `invalid ${component} options: ${issues.join('; ')}`);
  }
}

/** A key part is empty, too long or not a valid name; keys are never built from unchecked garbage. */
export class InvalidKeyError extends RedisKitError {
  override name = 'InvalidKeyError';
  constructor(message: string) {
    super('REDIS_KIT_INVALID_KEY', message);
  }
}

/** A multi-key call names keys in different hash slots, which Redis Cluster cannot run atomically. */
export class CrossSlotError extends RedisKitError {
  override name = 'CrossSlotError';
  constructor(readonly keys: readonly string[]) {
    super(
      'REDIS_KIT_CROSS_SLOT',
      `keys map to different hash slots (${keys.join(', ')}); give them a shared {tag}`,
    );
  }
}

/** An encoded value is above the codec's `maxBytes`; nothing was written. */
export class ValueTooLargeError extends RedisKitError {
  override name = 'ValueTooLargeError';
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super('REDIS_KIT_VALUE_TOO_LARGE', `encoded value is ${bytes} bytes, above the ${maxBytes}-byte cap`);
  }
}

/** The breaker is open (or half-open with its probe in flight): the call was not attempted. */
export class CircuitOpenError extends RedisKitError {
  override name = 'CircuitOpenError';
  constructor(readonly breaker: string) {
    super('REDIS_KIT_CIRCUIT_OPEN', `circuit breaker "${breaker}" is open`);
  }
}

/** Another worker holds the idempotency lease for this id; retry later (the entry stays pending). */
export class IdempotencyInProgressError extends RedisKitError {
  override name = 'IdempotencyInProgressError';
  constructor(readonly id: string) {
    super('REDIS_KIT_IDEMPOTENCY_IN_PROGRESS', `another worker is processing "${id}"`);
  }
}

/** A script returned a reply its typed wrapper does not recognise (a script/wrapper mismatch). */
export class ScriptReplyError extends RedisKitError {
  override name = 'ScriptReplyError';
  constructor(script: string, reply: unknown) {
    super('REDIS_KIT_SCRIPT_REPLY', `unexpected reply from script ${script}: ${JSON.stringify(reply)}`);
  }
}
