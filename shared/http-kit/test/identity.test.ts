import {
  AppError,
  assertSelfOrAdmin,
  deriveKey,
  errorHandler,
  getIdentity,
  IDENTITY_HEADER,
  IDENTITY_TOKEN_TYPE,
  IdentitySigner,
  IdentityVerifier,
  KEY_LABELS,
  optionalIdentity,
  requestId,
  requireIdentity,
  requireServiceIdentity,
  type UserIdentity,
  type VerifiedIdentity,
} from '@redwire/http-kit';
import express from 'express';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { readProblem, recordingLogger, serve } from './helpers';

const KEY = 'test-identity-key-0123456789-abcdefghij';
const OTHER_KEY = 'another-identity-key-9876543210-zyxwvuts';
const alice: UserIdentity = {
  sub: '0190f5c4-7a3e-7b8e-9c4d-2f1a3b5c7d9e',
  role: 'user',
  tier: 'free',
  sid: 'sess-1',
};

const signer = new IdentitySigner({ key: KEY });
const verifier = new IdentityVerifier({ key: KEY, audience: 'user' });

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function rejection(token: string, v = verifier): Promise<AppError> {
  try {
    await v.verify(token);
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('token was accepted');
}

/** Why a token was refused (the cause is logged, never sent). */
function reason(err: AppError): string {
  return err.cause instanceof Error ? err.cause.message : String(err.cause);
}

describe('identity tokens', () => {
  it('when a token is valid, then verify returns its claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const identity = await verifier.verify(await signer.sign(alice, 'user'));
    expect(identity).toMatchObject({ ...alice, aud: 'user' });
    expect(identity.iat).toBeGreaterThanOrEqual(before);
    expect(identity.exp - identity.iat).toBe(30);
  });

  it('when a service signs for itself, then the token carries a service subject', async () => {
    const identity = await verifier.verify(await signer.signService('auth', 'user'));
    expect(identity).toMatchObject({
      sub: 'service:auth',
      role: 'service',
      tier: null,
      sid: null,
      aud: 'user',
    });
  });

  it('when the token is for another audience, then 401', async () => {
    const err = await rejection(await signer.sign(alice, 'auth'));
    expect(err.code).toBe('E_UNAUTHENTICATED');
    expect(reason(err)).toMatch(/"aud"/);
  });

  it('when the token was signed with another key, then 401', async () => {
    const forged = await new IdentitySigner({ key: OTHER_KEY }).sign(alice, 'user');
    expect(reason(await rejection(forged))).toMatch(/signature verification failed/);
  });

  it('when the token expired, then 401', async () => {
    const old = new IdentitySigner({ key: KEY, now: () => Date.now() - 60_000 });
    expect(reason(await rejection(await old.sign(alice, 'user')))).toMatch(/"exp"/);
  });

  it('when the token is issued in the future beyond the clock tolerance, then 401', async () => {
    const future = new IdentitySigner({ key: KEY, now: () => Date.now() + 60_000 });
    expect(reason(await rejection(await future.sign(alice, 'user')))).toMatch(/"iat"/);
  });

  it('when the payload is tampered with, then 401', async () => {
    const [header, payload, signature] = (await signer.sign(alice, 'user')).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const tampered = `${header}.${b64url({ ...claims, role: 'admin' })}.${signature}`;
    expect(reason(await rejection(tampered))).toMatch(/signature verification failed/);
  });

  it('when the token uses alg none, then 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { ...alice, aud: 'user', iat: now, exp: now + 30 };
    for (const alg of ['none', 'None']) {
      const token = `${b64url({ alg, typ: IDENTITY_TOKEN_TYPE })}.${b64url(claims)}.`;
      expect(reason(await rejection(token))).toMatch(/"alg"/);
    }
  });

  it('when the token is signed with the right key but another algorithm, type or lifetime, then 401', async () => {
    const key = deriveKey(KEY, KEY_LABELS.identityToken);
    const now = Math.floor(Date.now() / 1000);
    const base = () =>
      new SignJWT({ role: 'user', tier: 'free', sid: 's' })
        .setSubject('u')
        .setAudience('user')
        .setIssuedAt(now);
    const hs512 = await base()
      .setProtectedHeader({ alg: 'HS512', typ: IDENTITY_TOKEN_TYPE })
      .setExpirationTime(now + 30)
      .sign(key);
    const untyped = await base()
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 30)
      .sign(key);
    const longLived = await base()
      .setProtectedHeader({ alg: 'HS256', typ: IDENTITY_TOKEN_TYPE })
      .setExpirationTime(now + 3600)
      .sign(key);
    const badRole = await new SignJWT({ role: 'superuser', tier: 'free', sid: 's' })
      .setSubject('u')
      .setAudience('user')
      .setIssuedAt(now)
      .setExpirationTime(now + 30)
      .setProtectedHeader({ alg: 'HS256', typ: IDENTITY_TOKEN_TYPE })
      .sign(key);
    expect(reason(await rejection(hs512))).toMatch(/"alg"/);
    expect(reason(await rejection(untyped))).toMatch(/"typ"/);
    expect(reason(await rejection(longLived))).toMatch(/lifetime/);
    expect(reason(await rejection(badRole))).toMatch(/claims/);
  });

  it('when tokens are signed, then the HS256 key is derived from the configured secret, never the secret itself', async () => {
    // Signer and verifier agree on the derived key.
    const token = await signer.sign(alice, 'user');
    expect(await verifier.verify(token)).toMatchObject({ sub: alice.sub, role: 'user' });
    const now = Math.floor(Date.now() / 1000);
    const signWith = (key: Uint8Array) =>
      new SignJWT({ role: 'admin', tier: 'free', sid: 's' })
        .setProtectedHeader({ alg: 'HS256', typ: IDENTITY_TOKEN_TYPE })
        .setSubject(alice.sub)
        .setAudience('user')
        .setIssuedAt(now)
        .setExpirationTime(now + 30)
        .sign(key);
    // The raw secret (what older versions signed with) and the other derived key no longer verify.
    const raw = await signWith(new TextEncoder().encode(KEY));
    expect((await rejection(raw)).status).toBe(401);
    expect(reason(await rejection(raw))).toMatch(/signature/);
    const throttleKeyed = await signWith(deriveKey(KEY, KEY_LABELS.loginThrottle));
    expect((await rejection(throttleKeyed)).status).toBe(401);
    // The label is what makes the keys differ; the same label gives the same key.
    expect(await verifier.verify(await signWith(deriveKey(KEY, KEY_LABELS.identityToken)))).toMatchObject({
      role: 'admin',
    });
    expect(deriveKey(KEY, KEY_LABELS.identityToken).equals(deriveKey(KEY, KEY_LABELS.loginThrottle))).toBe(
      false,
    );
  });

  it('when the token is garbage, empty or huge, then 401', async () => {
    for (const token of ['garbage', 'a.b.c', '', 'x'.repeat(10_000)])
      expect((await rejection(token)).status).toBe(401);
  });

  it('when the key is shorter than 32 bytes, then signer and verifier refuse to construct', () => {
    expect(() => new IdentitySigner({ key: 'short' })).toThrow(RangeError);
    expect(() => new IdentityVerifier({ key: 'x'.repeat(31), audience: 'user' })).toThrow(RangeError);
    expect(() => new IdentityVerifier({ key: KEY, previousKeys: ['short'], audience: 'user' })).toThrow(
      RangeError,
    );
    expect(() => new IdentitySigner({ key: KEY, ttlSeconds: 31 })).toThrow(RangeError);
  });

  it('when the same identity is signed again within half the lifetime, then the token is reused; later, re-signed', async () => {
    let now = Date.now();
    const clocked = new IdentitySigner({ key: KEY, now: () => now });
    const first = await clocked.sign(alice, 'user');
    now += 14_000;
    expect(await clocked.sign(alice, 'user')).toBe(first);
    expect(await clocked.sign({ ...alice, tier: 'pro' }, 'user')).not.toBe(first);
    expect(await clocked.sign(alice, 'auth')).not.toBe(first);
    now += 2_000;
    expect(await clocked.sign(alice, 'user')).not.toBe(first);
  });

  it('when a cached token passes its expiry, then it is verified again and rejected', async () => {
    let now = Date.now();
    const clocked = new IdentityVerifier({ key: KEY, audience: 'user', now: () => now });
    const token = await signer.sign(alice, 'user');
    const identity = await clocked.verify(token);
    expect(Object.isFrozen(identity)).toBe(true);
    expect(await clocked.verify(token)).toBe(identity);
    now += 40_000;
    expect(reason(await rejection(token, clocked))).toMatch(/"exp"|"iat"/);
  });

  it('when the key rotates, then tokens signed with a previous key still verify until it is dropped', async () => {
    const oldToken = await new IdentitySigner({ key: OTHER_KEY }).sign(alice, 'user');
    const rotating = new IdentityVerifier({ key: KEY, previousKeys: [OTHER_KEY], audience: 'user' });
    expect((await rotating.verify(oldToken)).sub).toBe(alice.sub);
    expect((await rotating.verify(await signer.sign(alice, 'user'))).sub).toBe(alice.sub);
    expect((await rejection(oldToken)).status).toBe(401);
  });
});

async function start() {
  const app = express();
  app.use(requestId());
  const who = (_req: express.Request, res: express.Response) => {
    res.json({ identity: getIdentity(res) });
  };
  app.get('/required', requireIdentity(verifier), who);
  app.get('/optional', optionalIdentity(verifier), who);
  app.get('/internal', requireServiceIdentity(verifier), who);
  app.get('/internal/auth-only', requireServiceIdentity(verifier, { services: ['auth'] }), who);
  app.use(errorHandler({ logger: recordingLogger() }));
  return serve(app);
}

async function call(url: string, token?: string) {
  return fetch(url, { headers: token === undefined ? {} : { [IDENTITY_HEADER]: token } });
}

describe('identity middleware', () => {
  it('when a valid identity is sent, then the handler sees its claims', async () => {
    const server = await start();
    const res = await call(`${server.url}/required`, await signer.sign(alice, 'user'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { identity: VerifiedIdentity };
    expect(body.identity).toMatchObject({ ...alice, aud: 'user' });
  });

  it('when the identity is missing, expired, forged or for another audience, then 401 problem+json', async () => {
    const server = await start();
    const tokens = [
      undefined,
      await new IdentitySigner({ key: KEY, now: () => Date.now() - 60_000 }).sign(alice, 'user'),
      await new IdentitySigner({ key: OTHER_KEY }).sign(alice, 'user'),
      await signer.sign(alice, 'gateway'),
    ];
    for (const token of tokens) {
      const body = await readProblem(await call(`${server.url}/required`, token));
      expect(body).toMatchObject({ status: 401, code: 'E_UNAUTHENTICATED' });
    }
  });

  it('when optional identity is absent, then the request is anonymous; when invalid, then 401', async () => {
    const server = await start();
    const anonymous = await call(`${server.url}/optional`);
    expect(await anonymous.json()).toEqual({ identity: null });
    const invalid = await call(`${server.url}/optional`, 'not-a-token');
    expect(await readProblem(invalid)).toMatchObject({ status: 401, code: 'E_UNAUTHENTICATED' });
    const valid = await call(`${server.url}/optional`, await signer.sign(alice, 'user'));
    expect(((await valid.json()) as { identity: VerifiedIdentity }).identity.sub).toBe(alice.sub);
  });

  it('when an internal route is called with a user identity, then 403; with a service identity, then 200', async () => {
    const server = await start();
    const asUser = await call(
      `${server.url}/internal`,
      await signer.sign({ ...alice, role: 'admin' }, 'user'),
    );
    expect(await readProblem(asUser)).toMatchObject({ status: 403, code: 'E_FORBIDDEN' });
    const asService = await call(`${server.url}/internal`, await signer.signService('auth', 'user'));
    expect(asService.status).toBe(200);
    const wrongService = await call(
      `${server.url}/internal/auth-only`,
      await signer.signService('gateway', 'user'),
    );
    expect(await readProblem(wrongService)).toMatchObject({ status: 403, code: 'E_FORBIDDEN' });
    const none = await call(`${server.url}/internal`);
    expect(await readProblem(none)).toMatchObject({ status: 401, code: 'E_UNAUTHENTICATED' });
  });
});

describe('assertSelfOrAdmin', () => {
  const verified = (identity: object) => ({ aud: 'user', iat: 0, exp: 30, ...identity }) as VerifiedIdentity;

  it('when the caller is the user or an admin, then it passes; otherwise 401/403', () => {
    expect(() => assertSelfOrAdmin(verified(alice), alice.sub)).not.toThrow();
    expect(() =>
      assertSelfOrAdmin(verified({ ...alice, sub: 'other', role: 'admin' }), alice.sub),
    ).not.toThrow();
    expect(() => assertSelfOrAdmin(verified({ ...alice, sub: 'other' }), alice.sub)).toThrow(
      expect.objectContaining({ code: 'E_FORBIDDEN' }),
    );
    expect(() => assertSelfOrAdmin(null, alice.sub)).toThrow(
      expect.objectContaining({ code: 'E_UNAUTHENTICATED' }),
    );
  });
});
