import type { SessionInfo } from '@redwire/sessions';

/** `session` in login, password-change and /auth/me responses (docs/api.md). */
export function sessionView(session: SessionInfo) {
  return {
    id: session.sessionId,
    createdAt: session.createdAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    idleExpiresAt: session.idleExpiresAt.toISOString(),
  };
}

/** One entry of GET /auth/sessions (docs/api.md). Never the secret or its digest. */
export function sessionListItem(session: SessionInfo, currentSessionId: string) {
  return {
    id: session.sessionId,
    createdAt: session.createdAt.toISOString(),
    lastActiveAt: session.lastActiveAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    userAgent: session.userAgent,
    ip: session.ip,
    current: session.sessionId === currentSessionId,
  };
}
