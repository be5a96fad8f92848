import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { APP_PAGES } from '@sealcam/protocol/relay-safe';
import Fastify from 'fastify';
import { copiesMatch } from './precompressed.js';

/** The built web app in this package (client/dist/webapp). */
export const BUILT_WEB_APP = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'webapp');

export interface AppHostOptions {
  /** The built app: index.html, assets/, sw.js, release.json. Default BUILT_WEB_APP. */
  readonly root?: string;
  /** Loopback by default; 0 = any free port. */
  readonly host?: string;
  readonly port?: number;
  /** Relays (their URLs) the app may reach: the CSP's connect-src names exactly these. */
  readonly relays: readonly string[];
}

export interface AppHost {
  readonly url: string;
  /** Changes the relays the app may reach (the CSP and /config.json of every later answer). */
  setRelays(relays: readonly string[]): void;
  close(): Promise<void>;
}

function originOf(url: string): string {
  const parsed = new URL(url);
  if (!/^https?:$/.test(parsed.protocol)) throw new Error(`a relay URL is http(s): ${url}`);
  return parsed.origin;
}

/** The app's CSP: its own files only; connections to itself and to the named relays (HTTP and WebSocket). */
export function appCsp(relays: readonly string[]): string {
  const origins = relays.map(originOf);
  const sockets = origins.map((origin) => origin.replace(/^http/, 'ws'));
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' ${[...origins, ...sockets].join(' ')}`.trim(),
    "img-src 'self' blob: data:",
    "media-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "object-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Serves the web app from an origin of its own, apart from any relay: the relay is then only an API
 * (it allows this origin with SEALCAM_APP_ORIGINS) and whoever runs it cannot replace the app. Static
 * files only, precompressed; content-hashed assets are immutable, the rest revalidated; /config.json
 * lists the relays.
 */

export async function startAppHost(options: AppHostOptions): Promise<AppHost> {
  const root = resolve(options.root ?? BUILT_WEB_APP);
  if (!existsSync(join(root, 'index.html')) || !existsSync(join(root, 'release.json')))
    throw new Error(`no built, signed web app in ${root}: run "npm run build"`);
  // A brotli or gzip copy that is not its file (left from another build) would be served in its place.
  if (!copiesMatch(root)) throw new Error(`stale precompressed copies in ${root}: run "npm run build"`);
  let relays = options.relays.map(originOf);
  let csp = appCsp(relays);
  const app = Fastify({ logger: false });
  app.addHook('onSend', async (request, reply) => {
    reply.header('content-security-policy', csp);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header(
      'cache-control',
      request.url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
  });
  // Brotli or gzip copies made at build time (precompressed.ts) where the browser accepts them.
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    cacheControl: false,
    preCompressed: true,
    // The build's own records (.build-inputs.json) are not part of the app.
    dotfiles: 'ignore',
  });
  // The app's pages are real URLs (web/src/lib/router.ts): each one is index.html.
  for (const { path } of APP_PAGES) app.get(path, (_request, reply) => reply.sendFile('index.html'));
  app.get('/config.json', () => ({ relays }));
  const url = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return {
    url,
    setRelays: (next) => {
      relays = next.map(originOf);
      csp = appCsp(relays);
    },
    close: () => app.close(),
  };
}
