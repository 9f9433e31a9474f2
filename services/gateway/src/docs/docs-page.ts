// The reference page around Swagger UI. Its start-up script is a file served from this origin, not inline,
// so the page's Content-Security-Policy can forbid inline script altogether.

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The HTML of `/docs`; `assetBase` is the versioned folder of the page's assets. */
export function docsPageHtml(assetBase: string): string {
  const base = escapeAttribute(assetBase);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>redwire API reference</title>
    <link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
    <link rel="stylesheet" href="${base}/swagger-ui.css">
    <link rel="stylesheet" href="${base}/redwire-docs.css">
  </head>
  <body>
    <noscript>This page needs JavaScript. The OpenAPI document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
    <div id="swagger-ui"></div>
    <script src="${base}/swagger-ui-bundle.js"></script>
    <script src="${base}/redwire-docs.js"></script>
  </body>
</html>
`;
}

/**
 * Starts Swagger UI on `/openapi.json`. `validatorUrl: null`: Swagger UI would otherwise ask an outside
 * service to validate the document; nothing on this page leaves the origin. Requests made with "Try it
 * out" go to this gateway with the browser's own cookies, so a signed-in browser tries them as itself.
 */
export const DOCS_PAGE_SCRIPT = `'use strict';
window.addEventListener('load', function () {
  window.ui = window.SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    validatorUrl: null,
    deepLinking: true,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0,
    displayRequestDuration: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

export const DOCS_PAGE_CSS = `body { margin: 0; background: #fafafa; }
#swagger-ui { max-width: 1200px; margin: 0 auto; }
`;
