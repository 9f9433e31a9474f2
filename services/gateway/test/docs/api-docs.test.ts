import zlib from 'node:zlib';
import { buildOpenApiDocument } from '@redwire/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../../src/docs/api-docs';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack';

let stack: GatewayStack;
let assetBase: string;

beforeAll(async () => {
  // A tight anonymous policy, so the test can see the docs spend quota like any route.
  stack = await startGatewayStack({
    policies: [
      { name: 'anon-docs', identity: 'ip', principal: 'anonymous', limit: 1, period: 60, burst: 40 },
    ],
  });
  const page = await (await fetch(`${stack.url}/docs`)).text();
  assetBase = /href="(\/docs\/assets\/[^"]+)\/swagger-ui\.css"/.exec(page)?.[1] as string;
});

afterAll(async () => {
  await stack?.stop();
});

describe('the API reference served by the gateway', () => {
  it('when /openapi.json is fetched, then it is the document generated from the contracts, revalidated by ETag', async () => {
    const res = await fetch(`${stack.url}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual(buildOpenApiDocument());
    const again = await fetch(`${stack.url}/openapi.json`, {
      headers: { 'if-none-match': res.headers.get('etag') as string },
    });
    expect([again.status, await again.text()]).toEqual([304, '']);
    // Nothing of it went to an upstream.
    expect(stack.user.seen.length + stack.auth.seen.length).toBe(0);
  });

  it('when /docs is fetched, then the page loads only same-origin assets under a self-only CSP with no inline script', async () => {
    const res = await fetch(`${stack.url}/docs`);
    const html = await res.text();
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(DOCS_CSP).toContain("script-src 'self'");
    expect(DOCS_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(html).not.toMatch(/<script>|<script(?![^>]*\bsrc=)|https?:\/\//);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(sources.filter((s) => !s.startsWith('/'))).toEqual([]);
    for (const source of sources.filter((s) => s.startsWith('/docs/assets/'))) {
      expect((await fetch(`${stack.url}${source}`)).status, source).toBe(200);
    }
  });

  it('when an asset is fetched, then its content type is right, it is immutable under its versioned URL, and gzip is offered', async () => {
    const cases = [
      ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
      ['swagger-ui.css', 'text/css; charset=utf-8'],
      ['redwire-docs.js', 'text/javascript; charset=utf-8'],
      ['favicon-32x32.png', 'image/png'],
    ] as const;
    for (const [file, type] of cases) {
      const res = await fetch(`${stack.url}${assetBase}/${file}`, {
        headers: { 'accept-encoding': 'identity' },
      });
      await res.arrayBuffer();
      expect([file, res.status, res.headers.get('content-type'), res.headers.get('cache-control')]).toEqual([
        file,
        200,
        type,
        'public, max-age=31536000, immutable',
      ]);
    }
    // Raw bytes (fetch would decompress silently): the gzip body inflates to the identity body.
    const plain = Buffer.from(
      await (await fetch(`${stack.url}${assetBase}/swagger-ui-bundle.js`)).arrayBuffer(),
    );
    const { request } = await import('node:http');
    const gzipped = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
      request(
        `${stack.url}${assetBase}/swagger-ui-bundle.js`,
        { headers: { 'accept-encoding': 'gzip' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
          );
        },
      )
        .on('error', reject)
        .end();
    });
    expect(gzipped.encoding).toBe('gzip');
    expect(gzipped.body.length).toBeLessThan(plain.length / 2);
    expect(zlib.gunzipSync(gzipped.body).equals(plain)).toBe(true);
  });

  it('when the docs are asked with another method, another spelling or an unknown asset, then 404 as for any unknown route', async () => {
    for (const [method, path] of [
      ['POST', '/openapi.json'],
      ['DELETE', '/docs'],
      ['GET', '/docs/'],
      ['GET', '/DOCS'],
      ['GET', `${assetBase}/swagger-initializer.js`],
      ['GET', '/docs/assets/0.0.0/swagger-ui.css'],
    ] as const) {
      const res = await fetch(`${stack.url}${path}`, { method });
      expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 404`);
    }
  });

  it('when the docs are fetched with a revoked or garbage cookie, then they are still served (public), and HEAD has no body', async () => {
    const res = await fetch(`${stack.url}/docs`, { headers: { cookie: '__Host-sid=garbage.token' } });
    expect(res.status).toBe(200);
    const head = await fetch(`${stack.url}/openapi.json`, {
      method: 'HEAD',
      headers: { 'accept-encoding': 'identity' },
    });
    expect([head.status, await head.text(), Number(head.headers.get('content-length'))]).toEqual([
      200,
      '',
      Buffer.byteLength(JSON.stringify(buildOpenApiDocument())),
    ]);
  });

  it('when a client keeps fetching the docs, then they spend its rate-limit quota and end in 429 like any route', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 60; i++) {
      last = await fetch(`${stack.url}${assetBase}/swagger-ui.css`);
      await last.arrayBuffer();
      expect(last.headers.get('ratelimit-policy')).toBe('"anon-docs";q=1;w=60');
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(last?.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  });
});
