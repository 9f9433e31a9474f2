import { describe, expect, it } from 'vitest';
import {
  INSECURE_SESSION_COOKIE_NAME,
  newRoutingTag,
  parseToken,
  SESSION_COOKIE_NAME,
  splitSessionId,
  TOKEN_LENGTH,
  tokenFromHeaders,
} from '../src';
import { issueToken } from '../src/session-token';

describe('session tokens', () => {
  it('when a token is issued, then it is <38-char session id>.<43-char secret> and parses back', () => {
    const issued = issueToken(newRoutingTag());
    expect(issued.token).toHaveLength(TOKEN_LENGTH);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{38}\.[A-Za-z0-9_-]{43}$/);
    const parsed = parseToken(issued.token);
    expect(parsed).toEqual({
      sessionId: issued.sessionId,
      tag: issued.tag,
      member: issued.member,
      secretHash: issued.secretHash,
    });
    expect(parsed?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(issued.token).not.toContain(issued.secretHash);
  });

  it('when tokens are issued repeatedly, then members and secrets never repeat', () => {
    const tag = newRoutingTag();
    const tokens = new Set(Array.from({ length: 2000 }, () => issueToken(tag).token));
    expect(tokens.size).toBe(2000);
  });

  it('when a token is malformed, truncated or padded, then parsing returns null without throwing', () => {
    const { token } = issueToken(newRoutingTag());
    const bad = [
      '',
      token.slice(0, -1),
      `${token}A`,
      token.replace('.', '-'),
      token.replace('.', '..').slice(0, TOKEN_LENGTH),
      `${token.slice(0, 10)}+${token.slice(11)}`,
      `${token.slice(0, 10)}=${token.slice(11)}`,
      ` ${token.slice(1)}`,
      'x'.repeat(100_000),
      `${token.slice(0, 38)}.${'é'.repeat(43)}`,
    ];
    for (const value of bad) expect(parseToken(value)).toBeNull();
  });

  it('when any character of the secret changes (even to a base64 alias), then the digest changes', () => {
    const issued = issueToken(newRoutingTag());
    const secretStart = TOKEN_LENGTH - 43;
    for (let i = secretStart; i < TOKEN_LENGTH; i++) {
      const c = issued.token[i] === 'A' ? 'B' : 'A';
      const tampered = issued.token.slice(0, i) + c + issued.token.slice(i + 1);
      expect(parseToken(tampered)?.secretHash).not.toBe(issued.secretHash);
    }
  });

  it('when a session id is split, then tag and member come back; a bad one gives null', () => {
    const issued = issueToken(newRoutingTag());
    expect(splitSessionId(issued.sessionId)).toEqual({
      sessionId: issued.sessionId,
      tag: issued.tag,
      member: issued.member,
    });
    expect(splitSessionId(`${issued.sessionId}x`)).toBeNull();
    expect(splitSessionId('../../etc/passwd')).toBeNull();
  });
});

describe('tokenFromHeaders', () => {
  it('when a bearer token and a cookie are both sent, then the bearer token wins', () => {
    expect(tokenFromHeaders({ authorization: 'Bearer abc', cookie: `${SESSION_COOKIE_NAME}=def` })).toEqual({
      token: 'abc',
      source: 'bearer',
    });
    expect(tokenFromHeaders({ authorization: 'bearer  abc ' })).toEqual({ token: 'abc', source: 'bearer' });
  });

  it('when only the session cookie is sent, then its value is the token', () => {
    const cookie = `theme=dark; ${SESSION_COOKIE_NAME}=tok.en; other=1`;
    expect(tokenFromHeaders({ cookie })).toEqual({ token: 'tok.en', source: 'cookie' });
    expect(
      tokenFromHeaders({ cookie: `${INSECURE_SESSION_COOKIE_NAME}=x` }, INSECURE_SESSION_COOKIE_NAME),
    ).toEqual({ token: 'x', source: 'cookie' });
  });

  it('when neither is present or they are unusable, then null', () => {
    expect(tokenFromHeaders({})).toBeNull();
    expect(tokenFromHeaders({ authorization: 'Basic dXNlcjpwYXNz' })).toBeNull();
    expect(tokenFromHeaders({ cookie: 'sid=not-the-host-cookie' })).toBeNull();
    expect(tokenFromHeaders({ cookie: `${SESSION_COOKIE_NAME}=` })).toBeNull();
    expect(tokenFromHeaders({ cookie: `${SESSION_COOKIE_NAME}=${'a'.repeat(10_000)}` })).toBeNull();
  });
});
