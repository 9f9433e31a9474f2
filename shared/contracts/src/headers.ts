// Response headers of redwire's own that clients (and the chaos harness) read. The standard ones
// (RateLimit, Retry-After, ETag, …) are described in openapi/response-headers.ts.

/** Marks an answer the gateway served in a degraded mode (its state Redis unreachable). */
export const DEGRADED_HEADER = 'Redwire-Degraded';
/** {@link DEGRADED_HEADER}'s value when the session was taken from the gateway's recent validations. */
export const DEGRADED_SESSIONS = 'sessions';
