/**
 * The installed web app's service worker. On install it takes the release the site offers only if
 * release.json is signed by the release key built into this worker, is this worker's own version,
 * and every listed file has its listed SHA-256; it then serves the app's files from that copy only.
 * It never activates an update by itself: the running page checks an offered update and asks for
 * it ('take-update') only when it is a newer signed release (src/app-release.ts). A worker of the
 * site can still replace this one (browsers let whoever serves sw.js do so): the page then warns.
 */
import { fetchListed, fetchRelease, RELEASE_FILE, ReleaseError } from '../src/release-check.js';

declare const __RELEASE_PUBLIC_KEY__: string;
declare const __RELEASE_VERSION__: number;
declare const self: ServiceWorkerGlobalScope;

const CACHE_PREFIX = 'sealcam-app-';
const CACHE = `${CACHE_PREFIX}${__RELEASE_VERSION__}`;
/** Pages of the app: each is index.html (the app routes itself). */
const PAGES = new Set(['/', '/pair', '/index.html']);
/** Fetched past this worker, always: the page compares what the site offers now with what runs. */
const ALWAYS_FROM_SITE = new Set([RELEASE_FILE, '/sw.js']);

async function install(): Promise<void> {
  const release = await fetchRelease(__RELEASE_PUBLIC_KEY__);
  if (release.version !== __RELEASE_VERSION__)
    throw new ReleaseError('mismatch', 'release.json is not this worker’s release');
  const cache = await caches.open(CACHE);
  for (const path of Object.keys(release.files)) await cache.put(path, await fetchListed(release, path));
}

async function activate(): Promise<void> {
  for (const name of await caches.keys())
    if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
  await self.clients.claim();
}

async function fromRelease(request: Request, path: string): Promise<Response> {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request.mode === 'navigate' ? '/index.html' : path);
  return hit ?? fetch(request);
}

self.addEventListener('install', (event) => event.waitUntil(install()));
self.addEventListener('activate', (event) => event.waitUntil(activate()));
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'take-update') void self.skipWaiting();
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (ALWAYS_FROM_SITE.has(url.pathname)) return;
  if (event.request.mode === 'navigate' && !PAGES.has(url.pathname)) return;
  event.respondWith(fromRelease(event.request, url.pathname));
});
