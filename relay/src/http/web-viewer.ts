import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import { APP_PAGES } from '@sealcam/protocol/relay-safe';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built web viewer as static files. The relay only hands out the files: keys and content
 * stay in the browser, which opens what it fetches. The CSP allows scripts and connections (HTTP and
 * WebSocket: 'self' covers ws:/wss: of this host) to this origin only, so the page served here cannot
 * send keys or pictures elsewhere. (The relay that serves the page could serve another page: see
 * docs/THREAT-MODEL.md on the web app.) 'wasm-unsafe-eval'
 * lets the page compile its WebAssembly cryptography; JavaScript eval stays forbidden.
 */

export async function webViewerRoutes(app: FastifyInstance, root: string): Promise<void> {
  const headers = {
    'content-security-policy':
      "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  await app.register(fastifyStatic, {
    root: resolve(root),
    prefix: '/',
    index: ['index.html'],
    wildcard: false,
    // The build's brotli and gzip copies, where the browser accepts them (no work per request).
    preCompressed: true,
    // The build's own records (.build-inputs.json) are not part of the app.
    dotfiles: 'ignore',
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(headers)) response.header(name, value);
    },
  });
  // The app's pages are real URLs (client/web/src/lib/router.ts): each is index.html, and the app
  // shows the page. The pairing link is <relay>/pair#<code>: the code stays in the fragment.
  for (const { path, summary } of APP_PAGES)
    app.get(
      path,
      {
        schema: {
          summary,
          response: {
            200: { description: 'index.html', content: { 'text/html': { schema: { type: 'string' } } } },
          },
        },
      },
      (_request, reply) => reply.headers(headers).sendFile('index.html'),
    );
}
