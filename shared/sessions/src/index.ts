export {
  expressSession,
  httpSession,
  type SessionHttpOptions,
  type SessionRefusal,
  sendSessionProblem,
  sessionOf,
} from './http-session';
export {
  INSECURE_SESSION_COOKIE_NAME,
  type RequestToken,
  SESSION_COOKIE_NAME,
  type TokenHeaders,
  tokenFromHeaders,
} from './request-token';
export { type SessionBreakerOptions, SessionReader, type SessionReaderOptions } from './session.reader';
export {
  type CreateSessionResult,
  type RevokeResult,
  type SessionAccount,
  type SessionClient,
  type SessionInfo,
  SessionStore,
  type SessionStoreOptions,
} from './session.store';
export { SessionCookie, type SessionCookieOptions } from './session-cookie';
export {
  isRoutingTag,
  newRoutingTag,
  type ParsedToken,
  parseToken,
  type SessionIdParts,
  splitSessionId,
  TOKEN_LENGTH,
} from './session-token';
export {
  type InvalidReason,
  SESSION_ROLES,
  SESSION_TIERS,
  type SessionKeyOptions,
  type SessionRole,
  type SessionTier,
  type ValidationResult,
  type ValidSession,
} from './session-types';
