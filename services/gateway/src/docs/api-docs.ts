import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DOCS_PAGE_CSS, DOCS_PAGE_SCRIPT, docsPageHtml } from './docs-page';

/** Options of {@link ApiDocs}. */
export interface ApiDocsOptions {
  /** The OpenAPI document served at `/openapi.json` (`buildOpenApiDocument()` of @redwire/contracts). */
  readonly document: object;
  /** Folder of the swagger-ui-dist package. @default resolved from the gateway's dependencies */
  readonly swaggerUiDir?: string;
}

/** A response the gateway answers itself, without an upstream. */
export interface LocalRoute {
  /** Metrics label: a bounded pattern, never the raw path. */
  readonly label: string;
  serve(req: IncomingMessage, res: ServerResponse): void;
}

interface Asset {
  readonly body: Buffer;
  /** The body gzipped, once compression finished (it runs in the background at start-up). */
  gzip?: Buffer;
  readonly contentType: string;
  readonly cacheControl: string;
  readonly etag: string;
}

/**
 * The page's policy: everything from this origin, nothing inline, nothing from elsewhere. Swagger UI needs
 * no inline script (its start-up is a file of ours) and sets styles through the DOM, which `style-src`
 * does not govern; its icons are `data:` images in its stylesheet. "Try it out" calls this origin only.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': DOCS_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
} as const;

/** Revalidated on every use (cheap with the ETag): the document changes with the deployment. */
const REVALIDATE = 'no-cache';
/** Asset URLs carry Swagger UI's version, so a URL's content never changes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Below this, compressing costs more than it saves. */
const GZIP_MIN_BYTES = 1024;

const gzip = promisify(zlib.gzip);

/**
 * `/openapi.json`, the reference page `/docs` and its assets under `/docs/assets/<swagger-ui version>/`,
 * all held in memory from start-up. GET and HEAD only; `If-None-Match` gets a 304; clients that accept
 * gzip get the precompressed body. The handler serves these after the rate-limit decision, like any
 * other route, so the 1.7 MB bundle is no free amplifier.
 */
export class ApiDocs {
  readonly #assets = new Map<string, Asset>();

  constructor(options: ApiDocsOptions) {
    const uiDir =
      options.swaggerUiDir ?? path.dirname(createRequire(__filename).resolve('swagger-ui-dist/package.json'));
    const { version } = JSON.parse(fs.readFileSync(path.join(uiDir, 'package.json'), 'utf8')) as {
      version: string;
    };
    const assetBase = `/docs/assets/${version}`;
    const ui = (file: string) => fs.readFileSync(path.join(uiDir, file));
    this.#add(
      '/openapi.json',
      Buffer.from(JSON.stringify(options.document)),
      'application/json; charset=utf-8',
      REVALIDATE,
    );
    this.#add('/docs', Buffer.from(docsPageHtml(assetBase)), 'text/html; charset=utf-8', REVALIDATE);
    this.#add(`${assetBase}/swagger-ui.css`, ui('swagger-ui.css'), 'text/css; charset=utf-8', IMMUTABLE);
    this.#add(
      `${assetBase}/swagger-ui-bundle.js`,
      ui('swagger-ui-bundle.js'),
      'text/javascript; charset=utf-8',
      IMMUTABLE,
    );
    this.#add(`${assetBase}/favicon-32x32.png`, ui('favicon-32x32.png'), 'image/png', IMMUTABLE);
    this.#add(
      `${assetBase}/redwire-docs.js`,
      Buffer.from(DOCS_PAGE_SCRIPT),
      'text/javascript; charset=utf-8',
      IMMUTABLE,
    );
    this.#add(
      `${assetBase}/redwire-docs.css`,
      Buffer.from(DOCS_PAGE_CSS),
      'text/css; charset=utf-8',
      IMMUTABLE,
    );
    for (const asset of this.#assets.values()) {
      if (asset.body.length < GZIP_MIN_BYTES) continue;
      // Off the event loop; until it finishes the identity body is served.
      gzip(asset.body).then(
        (compressed) => {
          if (compressed.length < asset.body.length) asset.gzip = compressed;
        },
        () => undefined,
      );
    }
  }

  /** The local route for `method path`, or undefined when the path is not one of the docs. */
  match(method: string, path: string): LocalRoute | undefined {
    const asset = this.#assets.get(path);
    if (!asset || (method !== 'GET' && method !== 'HEAD')) return undefined;
    const label = path === '/openapi.json' || path === '/docs' ? path : '/docs/assets/*';
    return { label, serve: (req, res) => this.#serve(asset, req, res) };
  }

  #add(urlPath: string, body: Buffer, contentType: string, cacheControl: string): void {
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    this.#assets.set(urlPath, { body, contentType, cacheControl, etag });
  }

  #serve(asset: Asset, req: IncomingMessage, res: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('Cache-Control', asset.cacheControl);
    res.setHeader('ETag', asset.etag);
    if (asset.gzip) res.setHeader('Vary', 'Accept-Encoding');
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag)) {
      res.writeHead(304).end();
      return;
    }
    const gzipped = asset.gzip && acceptsGzip(req.headers['accept-encoding']) ? asset.gzip : undefined;
    const body = gzipped ?? asset.body;
    res.setHeader('Content-Type', asset.contentType);
    res.setHeader('Content-Length', body.length);
    if (gzipped) res.setHeader('Content-Encoding', 'gzip');
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

/** Whether `Accept-Encoding` admits gzip: its own weight, else that of `*`; `q=0` refuses. */
function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let gzipQ: number | undefined;
  let anyQ: number | undefined;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    if (coding === 'gzip') gzipQ = weight;
    else if (coding === '*') anyQ = weight;
  }
  return (gzipQ ?? anyQ ?? 0) > 0;
}
