import {
  accountPatchBody,
  changePasswordBody,
  loginBody,
  registerBody,
  sessionIdParams,
  userIdParams,
} from '@redwire/contracts';
import {
  errors,
  getIdentity,
  type IdentityVerifier,
  jsonBody,
  parseWith,
  requireIdentity,
  strictRouter,
  type UserIdentity,
} from '@redwire/http-kit';
import { type SessionCookie, tokenFromHeaders } from '@redwire/sessions';
import type { Request, Response, Router } from 'express';
import { accountView, userView } from '../accounts/account.model';
import type { AccountAdminService } from '../accounts/account-admin.service';
import type { AuthService } from '../auth/auth.service';
import type { RegistrationService } from '../registration/registration.service';

import { sessionListItem, sessionView } from '../sessions/session-views';

/** What the `/auth/*` routes need. */
export interface AuthRoutesDeps {
  auth: AuthService;
  registration: RegistrationService;
  admin: AccountAdminService;
  verifier: IdentityVerifier;
  cookie: SessionCookie;
}

/** Sent on logout (OWASP SM "Cookies"): the browser drops its cache, cookies and storage for the origin. */
const CLEAR_SITE_DATA = '"cache", "cookies", "storage"';

/** A signed-in user (never a service identity) from the gateway's X-Redwire-Identity. */
function caller(res: Response): UserIdentity {
  const identity = getIdentity(res);
  if (!identity) throw errors.E_UNAUTHENTICATED();
  if (identity.role === 'service') throw errors.E_FORBIDDEN();
  return identity;
}

function clientOf(req: Request) {
  return { userAgent: req.get('user-agent') ?? '', ip: req.ip ?? '' };
}

/** The `/auth/*` routes of docs/api.md. */
export function authRoutes(deps: AuthRoutesDeps): Router {
  const { auth, cookie } = deps;
  const router = strictRouter();
  const signedIn = requireIdentity(deps.verifier);

  router.post('/auth/register', jsonBody(), async (req, res) => {
    const input = parseWith(registerBody, req.body ?? {});
    const user = await deps.registration.register(input);
    res.status(201).json({ user });
  });

  router.post('/auth/login', jsonBody(), async (req, res) => {
    const { email, password } = parseWith(loginBody, req.body ?? {});
    const issued = await auth.login(email, password, clientOf(req));
    cookie.set(res, issued.token);
    res.json({ user: userView(issued.account), token: issued.token, session: sessionView(issued.session) });
  });

  // No identity needed: the gateway forwards even an expired or revoked token here, and the answer is
  // always 204 with the cookie cleared.
  router.post('/auth/logout', async (req, res) => {
    const found = tokenFromHeaders(req.headers, cookie.name);
    await auth.logout(found?.token);
    cookie.clear(res);
    res.set('Clear-Site-Data', CLEAR_SITE_DATA).status(204).end();
  });

  router.post('/auth/logout-all', signedIn, async (_req, res) => {
    await auth.logoutAll(caller(res).sub);
    cookie.clear(res);
    res.status(204).end();
  });

  router.get('/auth/me', signedIn, async (_req, res) => {
    const identity = caller(res);
    const { account, session } = await auth.me(identity.sub, identity.sid);
    res.json({ user: userView(account), session: sessionView(session) });
  });

  router.get('/auth/sessions', signedIn, async (_req, res) => {
    const identity = caller(res);
    const sessions = await auth.listSessions(identity.sid);
    res.json({ sessions: sessions.map((s) => sessionListItem(s, identity.sid)) });
  });

  router.delete('/auth/sessions/:id', signedIn, async (req, res) => {
    const identity = caller(res);
    const { id } = parseWith(sessionIdParams, req.params);
    await auth.revokeSession(identity.sub, id);
    res.status(204).end();
  });

  router.post('/auth/password', signedIn, jsonBody(), async (req, res) => {
    const identity = caller(res);
    const { currentPassword, newPassword } = parseWith(changePasswordBody, req.body ?? {});
    const issued = await auth.changePassword(identity.sub, currentPassword, newPassword, clientOf(req));
    cookie.set(res, issued.token);
    res.json({ token: issued.token, session: sessionView(issued.session) });
  });

  router.patch('/auth/accounts/:id', signedIn, jsonBody(), async (req, res) => {
    if (caller(res).role !== 'admin') throw errors.E_FORBIDDEN();
    const { id } = parseWith(userIdParams, req.params);
    const patch = parseWith(accountPatchBody, req.body ?? {});
    const account = await deps.admin.update(id, patch);
    res.json({ account: accountView(account) });
  });

  return router;
}
