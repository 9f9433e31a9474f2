import {
  createUserBody,
  encodeCursor,
  LIMITS,
  listUsersQuery,
  patchUserBody,
  userIdParams,
} from '@redwire/contracts';
import {
  assertSelfOrAdmin,
  errors,
  getIdentity,
  type IdentityVerifier,
  jsonBody,
  optionalIdentity,
  parseWith,
  requireIdentity,
  requireServiceIdentity,
  strictRouter,
  type VerifiedIdentity,
} from '@redwire/http-kit';
import type { Request, Response, Router } from 'express';
import { etagOf, parseIfMatch } from './entity-tag';
import type { User } from './user.model';
import type { UserService } from './user.service';

/**
 * Headers of a response whose body depends on who asks (`email` is shown to the user themself and admins
 * only). `private`: no shared cache may store it; `no-cache`: a browser revalidates (cheaply, with the
 * ETag) instead of reusing it. `Vary` names the request headers a client sends that select the viewer:
 * behind the gateway the service sees only the identity token the gateway derives from them.
 */
export const VIEWER_DEPENDENT_HEADERS = {
  'Cache-Control': 'private, no-cache',
  Vary: 'Authorization, Cookie',
} as const;

function markViewerDependent(res: Response): void {
  for (const [name, value] of Object.entries(VIEWER_DEPENDENT_HEADERS)) res.setHeader(name, value);
}

/** The GET shape of the contract; `email` only for the user themself, an admin, or a calling service. */
export function presentUser(user: User, viewer: VerifiedIdentity | null): Record<string, unknown> {
  const showEmail = viewer !== null && (viewer.role !== 'user' || viewer.sub === user.id);
  return {
    id: user.id,
    ...(showEmail ? { email: user.email } : {}),
    name: user.name,
    bio: user.bio,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
    version: user.version,
  };
}

function idParam(req: Request): string {
  return parseWith(userIdParams, req.params).id;
}

function sendUser(res: Response, status: number, user: User): void {
  res.status(status).setHeader('ETag', etagOf(user.version));
  markViewerDependent(res);
  res.json(presentUser(user, getIdentity(res)));
}

/** `/users/*` (docs/api.md "User routes"): identity comes only from the verified X-Redwire-Identity token. */
export function userRoutes(service: UserService, verifier: IdentityVerifier): Router {
  const router = strictRouter();

  router.get('/users/:id', optionalIdentity(verifier), async (req, res) => {
    const id = idParam(req);
    const { value: user, status } = await service.get(id);
    res.setHeader('X-Cache', status);
    if (!user) throw errors.E_USER_NOT_FOUND();
    const etag = etagOf(user.version);
    const ifNoneMatch = req.get('if-none-match');
    if (ifNoneMatch?.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      // A 304 carries the headers the 200 would have (RFC 9110 §15.4.5), Vary and Cache-Control included.
      markViewerDependent(res);
      res.status(304).setHeader('ETag', etag).end();
      return;
    }
    sendUser(res, 200, user);
  });

  router.get('/users', optionalIdentity(verifier), async (req, res) => {
    const query = parseWith(listUsersQuery, req.query);
    const { items, hasMore } = await service.list(query.cursor, query.limit ?? LIMITS.pageDefault);
    const viewer = getIdentity(res);
    const last = items.at(-1);
    markViewerDependent(res);
    res.json({
      items: items.map((u) => presentUser(u, viewer)),
      nextCursor: hasMore && last ? encodeCursor(last.id) : null,
    });
  });

  router.patch('/users/:id', requireIdentity(verifier), jsonBody(), async (req, res) => {
    const id = idParam(req);
    assertSelfOrAdmin(getIdentity(res), id);
    const expectedVersions = parseIfMatch(req.get('if-match'));
    const patch = parseWith(patchUserBody, req.body ?? {});
    const result = await service.update(id, patch, expectedVersions);
    if (result.kind === 'not_found') throw errors.E_USER_NOT_FOUND();
    if (result.kind === 'version_conflict') {
      throw errors.E_VERSION_CONFLICT(undefined, { headers: { ETag: etagOf(result.currentVersion) } });
    }
    sendUser(res, 200, result.user);
  });

  router.delete('/users/:id', requireIdentity(verifier), async (req, res) => {
    const id = idParam(req);
    assertSelfOrAdmin(getIdentity(res), id);
    const result = await service.delete(id);
    if (result.kind === 'not_found') throw errors.E_USER_NOT_FOUND();
    res.status(204).end();
  });

  return router;
}

/** `/internal/users*`: auth's registration and its compensation; service identities (auth) only. */
export function internalUserRoutes(service: UserService, verifier: IdentityVerifier): Router {
  const router = strictRouter();
  const onlyAuth = requireServiceIdentity(verifier, { services: ['auth'] });

  router.post('/internal/users', onlyAuth, jsonBody(), async (req, res) => {
    const input = parseWith(createUserBody, req.body ?? {});
    const result = await service.create(input);
    if (result.kind === 'email_taken') throw errors.E_EMAIL_TAKEN();
    sendUser(res, result.kind === 'created' ? 201 : 200, result.user);
  });

  router.delete('/internal/users/:id', onlyAuth, async (req, res) => {
    await service.delete(idParam(req));
    res.status(204).end();
  });

  return router;
}
