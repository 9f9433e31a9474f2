export {
  INSECURE_SESSION_COOKIE_NAME,
  type RequestToken,
  SESSION_COOKIE_NAME,
  type TokenHeaders,
  tokenFromHeaders,
} from './request-token';
export { SessionReader, type SessionReaderOptions } from './session.reader';
export {
  type CreateSessionResult,
  type RevokeResult,
  type SessionAccount,
  type SessionClient,
  type SessionInfo,
  SessionStore,
  type SessionStoreOptions,
} from './session.store';
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
