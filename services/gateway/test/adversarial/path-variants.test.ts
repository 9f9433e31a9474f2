import fs from 'node:fs';
import path from 'node:path';
import { jsonOf, type RawResponse, rawExchange, rawRequest } from '@redwire/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICIES } from '../../src/ratelimit/default-policies';
import type { PolicyInput } from '../../src/ratelimit/policy.schema';
import { type RealStack, startRealStack } from './support/real-stack';

// One canonical path: every other spelling of a path a policy matches, or of a path with an exact-path
// rule, either gets that policy (and the same rule) or a 404 — never the handler without the policy.
// Through the real gateway to the real services, whose routers are strict and case-sensitive.

const HOST = 'Host: 127.0.0.1';
let stack: RealStack;

const examplePolicies = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '../../policies.example.json'), 'utf8')) as {
    policies: PolicyInput[];
  }
).policies;

/** Every (method, path, policy) an exact-path policy of the built-in set or the example file matches. */
const matchedAll = [...DEFAULT_POLICIES, ...examplePolicies].flatMap((p) =>
  p.match?.path && p.match.path !== '*' && !p.match.path.endsWith('/*')
    ? (p.match.methods ?? ['GET', 'POST']).map((method) => ({
        method,
        path: p.match?.path as string,
        policy: p.name,
      }))
    : [],
);

const matched = [...new Map(matchedAll.map((m) => [`${m.method} ${m.path} ${m.policy}`, m])).values()];

/** Paths where an invalid session proceeds as anonymous instead of 401 (routes.ts). */
const ANONYMOUS_ON_INVALID = ['/auth/login', '/auth/register', '/auth/logout'];

/** Spellings a server could read as `p`: case, slashes, percent-encoding, dot segments, parameters, forms. */
function variants(p: string): string[] {
  const segments = p.split('/').slice(1);
  const last = segments.at(-1) as string;
  const head = p.slice(0, p.length - last.length - 1);
  const encodeAt = (s: string, i: number) =>
    `${s.slice(0, i)}%${s.charCodeAt(i).toString(16).padStart(2, '0')}${s.slice(i + 1)}`;
  const upperEncodeAt = (s: string, i: number) =>
    encodeAt(s, i).replace(/%([0-9a-f]{2})/, (_, h: string) => `%${h.toUpperCase()}`);
  return [
    // case
    `${head}/${last[0]?.toUpperCase()}${last.slice(1)}`,
    p.toUpperCase(),
    `/${segments[0]?.toUpperCase()}${p.slice((segments[0]?.length ?? 0) + 1)}`,
    // slashes
    `${p}/`,
    `${p}//`,
    `/${p}`,
    p.replace(/\/([^/]*)$/, '//$1'),
    // percent-encoding of unreserved characters and of the separators
    encodeAt(p, p.length - 1),
    upperEncodeAt(p, 1),
    `${head}%2F${last}`,
    `${head}%2f${last}`,
    `${p}%2F`,
    `${p}%00`,
    `${p}%20`,
    // dot segments
    `${head}/./${last}`,
    `${head}/x/../${last}`,
    `/.${p}`,
    `${p}/.`,
    `${p}/..${p}`,
    `${head}/%2e/${last}`,
    `${head}/%2E%2E${p}`,
    // parameters, fragments, other delimiters
    `${p};`,
    `${p};x=1`,
    `${head};x${p.slice(head.length)}`,
    `${p}#x`,
    `${head}\\${last}`,
    `${p}\\`,
    `${p}~`,
    // absolute form
    `http://127.0.0.1${p}`,
  ];
}

/** Sends `method target` with a small JSON body and an optional invalid bearer token. */
async function send(method: string, target: string, token?: string): Promise<RawResponse> {
  const body = JSON.stringify({ email: 'variant@example.com', password: 'not-the-password-123', name: 'V' });
  const exchange = await rawExchange(
    stack.port,
    rawRequest(
      [
        `${method} ${target} HTTP/1.1`,
        HOST,
        'Content-Type: application/json',
        `Content-Length: ${body.length}`,
        ...(token ? [`Authorization: Bearer ${token}`] : []),
      ],
      body,
    ),
    { responses: 1 },
  );
  const [response] = exchange.responses;
  if (!response) throw new Error(`${method} ${target}: no answer (${exchange.rest.slice(0, 80)})`);
  return response;
}

const codeOf = (r: RawResponse) => String(jsonOf(r).code);

beforeAll(async () => {
  stack = await startRealStack();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('one canonical path', () => {
  it('the policy files under test name the credential endpoints', () => {
    expect(matched.map((m) => `${m.method} ${m.path} ${m.policy}`).sort()).toEqual([
      'POST /auth/login login-ip',
      'POST /auth/register register-ip',
    ]);
  });

  it.each(matched.map((m) => [m.policy, m.method, m.path] as const))(
    'when %s’s path (%s %s) is spelled any other way, then the request gets that policy or a 404, never the handler without it',
    async (policy, method, canonical) => {
      // The canonical spelling gets the policy and reaches the handler (a validation or credentials answer).
      const direct = await send(method, canonical);
      expect(direct.headers['ratelimit-policy']).toContain(`"${policy}"`);
      // Reached the handler: a registration (201) or a handler's own refusal.
      if (direct.status !== 201) {
        expect(['E_INVALID_CREDENTIALS', 'E_VALIDATION', 'E_EMAIL_TAKEN']).toContain(codeOf(direct));
      }

      const outcomes: string[] = [];
      for (const target of variants(canonical)) {
        const response = await send(method, target);
        const gotPolicy = response.headers['ratelimit-policy']?.includes(`"${policy}"`) ?? false;
        const outcome = gotPolicy
          ? 'policy'
          : response.status === 404
            ? '404'
            : `${response.status} ${codeOf(response)}`;
        outcomes.push(`${target} → ${outcome}`);
        // A 404 here is the gateway's or the service's "no such route", not a handler's answer.
        if (!gotPolicy)
          expect(`${target} → ${response.status} ${codeOf(response)}`).toBe(`${target} → 404 E_NOT_FOUND`);
      }
      // Only the canonical spelling with a query string may get the policy; every variant above is a 404.
      expect(outcomes.filter((o) => o.endsWith('policy'))).toEqual([]);
      const withQuery = await send(method, `${canonical}?x=1`);
      expect(withQuery.headers['ratelimit-policy']).toContain(`"${policy}"`);
    },
    60_000,
  );

  it.each(ANONYMOUS_ON_INVALID)(
    'when %s (anonymous on an invalid session) is spelled any other way with an invalid token, then 401 or 404, never the handler',
    async (canonical) => {
      const token = 'not-a-real-session-token';
      // The canonical path proceeds as anonymous: the handler answers, not the gateway's 401.
      const direct = await send('POST', canonical, token);
      expect(codeOf({ ...direct, body: direct.body || '{"code":"none"}' })).not.toBe('E_UNAUTHENTICATED');
      for (const target of variants(canonical)) {
        const response = await send('POST', target, token);
        expect([401, 404], target).toContain(response.status);
        expect(['E_UNAUTHENTICATED', 'E_NOT_FOUND'], target).toContain(codeOf(response));
      }
    },
    60_000,
  );

  it('when a case variant reaches a service, then the service itself answers 404 (its router is strict and case-sensitive)', async () => {
    const before = stack.served.auth.length;
    const response = await send('POST', '/auth/Login');
    expect(response.status).toBe(404);
    expect(codeOf(response)).toBe('E_NOT_FOUND');
    expect(stack.served.auth.slice(before).map((r) => r.url)).toEqual(['/auth/Login']);
  });

  it('when /healthz is spelled another way, then it is not the health check', async () => {
    for (const target of ['/healthz/', '/HEALTHZ', '//healthz', '/healthz;', '/%68ealthz']) {
      const exchange = await rawExchange(stack.port, rawRequest([`GET ${target} HTTP/1.1`, HOST]), {
        responses: 1,
      });
      expect(exchange.responses[0]?.status, target).toBe(404);
    }
  });
});
