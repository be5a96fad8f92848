import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';

/**
 * A loopback HTTP server for browser tests of single web modules: `/` is a page whose module script
 * is `script`; `/web/<file>.js` serves the compiled web viewer sources (client/dist/web/src), which
 * import each other by relative path, so a module loads with exactly its own dependencies.
 */
export async function serveModulePage(
  webDir: string,
  script: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>module test</title></head><body><script type="module">${script}</script></body></html>`;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    const file = normalize(path.replace(/^\/web\//, ''));
    if (!path.startsWith('/web/') || file.startsWith('..') || !file.endsWith('.js')) {
      response.writeHead(404).end();
      return;
    }
    readFile(join(webDir, file)).then(
      (body) => response.writeHead(200, { 'content-type': 'text/javascript' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
