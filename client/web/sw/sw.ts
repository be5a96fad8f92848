/**
 * The installed web app's service worker: it pins a release and updates it itself. It never changes
 * between releases (it holds the release public key and no version), so a new sw.js from the site is
 * never a release: the pages are told (`worker-changed`). Releases change only files:
 *  - pin: the release the site offers, if release.json verifies with the built-in key and every listed
 *    file has its listed SHA-256 (trust on first use of the site: any version). Caches are checked
 *    again (signature and every hash) whenever the worker starts: code of the origin can write them;
 *  - update (asked by a page, or at most once a minute on a navigation): only a newer release, verified
 *    the same way, fully fetched into its own cache before it replaces the pinned one; an older,
 *    unsigned or mismatching offer is refused and the pages are told why;
 *  - serve: every navigation (any method) gets the pinned index.html, every listed file the pinned
 *    copy (stored with its type by extension and the CSP the app was installed with), never the
 *    network. Only data requests for what the release does not list (the relay's API, /config.json,
 *    release.json) go to the site; unlisted code, styles, frames or workers get 404.
 */
import {
  contentTypeOf,
  fetchListed,
  fetchRelease,
  ReleaseError,
  sha256Hex,
  verifyRelease,
  type WebRelease,
} from '../src/release-check.js';

declare const __RELEASE_PUBLIC_KEY__: string;
declare const self: ServiceWorkerGlobalScope & { readonly serviceWorker?: ServiceWorker };

const PREFIX = 'sealcam-app-';
/** Written last into a release's cache: the signed release.json text itself. */
const COMPLETE = '/.sealcam-release';
const CHECK_EVERY_MS = 60_000;

interface Pinned {
  readonly release: WebRelease;
  readonly cache: Cache;
}

let pinned: Promise<Pinned | null> | null = null;
let checking: Promise<void> | null = null;
let lastCheck = 0;

/** The release in a cache, if its marker verifies with the built-in key and every file has its hash. */
async function verifiedCache(name: string): Promise<Pinned | null> {
  const cache = await caches.open(name);
  const marker = await cache.match(COMPLETE);
  if (!marker) return null;
  try {
    const release = await verifyRelease(await marker.text(), __RELEASE_PUBLIC_KEY__);
    if (name !== `${PREFIX}${release.version}`) return null;
    for (const [path, hash] of Object.entries(release.files)) {
      const file = await cache.match(path);
      if (!file || (await sha256Hex(await file.arrayBuffer())) !== hash) return null;
    }
    return { release, cache };
  } catch {
    return null;
  }
}

/** The newest verified release in the caches (others are deleted); none: the site's, verified, again. */
async function findPinned(): Promise<Pinned | null> {
  let best: Pinned | null = null;
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const found = await verifiedCache(name);
    if (!found) await caches.delete(name);
    else if (!best || found.release.version > best.release.version) best = found;
  }
  if (best) return best;
  try {
    const { release, text } = await fetchRelease(__RELEASE_PUBLIC_KEY__);
    return await store(release, text, null);
  } catch {
    return null;
  }
}

function current(): Promise<Pinned | null> {
  pinned ??= findPinned();
  return pinned;
}

/**
 * Fetches and checks every file of `release` into its own cache, the marker last. index.html keeps
 * `csp` (the pinned one's), or at the first pin the site's.
 */
async function store(release: WebRelease, text: string, csp: string | null): Promise<Pinned> {
  const name = `${PREFIX}${release.version}`;
  await caches.delete(name);
  const cache = await caches.open(name);
  for (const path of Object.keys(release.files)) {
    const { bytes, headers: served } = await fetchListed(release, path);
    const headers = new Headers({ 'content-type': contentTypeOf(path), 'x-content-type-options': 'nosniff' });
    const policy = path === '/index.html' ? (csp ?? served.get('content-security-policy')) : null;
    if (policy) headers.set('content-security-policy', policy);
    await cache.put(path, new Response(bytes, { headers }));
  }
  await cache.put(COMPLETE, new Response(text, { headers: { 'content-type': 'application/json' } }));
  return { release, cache };
}

async function dropAllBut(keep: number): Promise<void> {
  for (const name of await caches.keys())
    if (name.startsWith(PREFIX) && name !== `${PREFIX}${keep}`) await caches.delete(name);
}

/** To every page of the app, also those this worker does not control (a forced reload). */
async function tell(message: { type: string; [key: string]: unknown }): Promise<void> {
  for (const client of await self.clients.matchAll({ type: 'window', includeUncontrolled: true }))
    client.postMessage(message);
}

/** Looks at the release the site offers now: a newer signed one replaces the pinned one. */
async function checkForUpdate(): Promise<void> {
  lastCheck = Date.now();
  const now = await current();
  if (!now) return;
  try {
    const { release: offered, text } = await fetchRelease(__RELEASE_PUBLIC_KEY__);
    if (offered.version === now.release.version) return;
    if (offered.version < now.release.version)
      throw new ReleaseError('older', `release ${offered.version} is older than ${now.release.version}`);
    const csp = (await now.cache.match('/index.html'))?.headers.get('content-security-policy') ?? null;
    const next = await store(offered, text, csp);
    pinned = Promise.resolve(next);
    await dropAllBut(offered.version);
    await tell({ type: 'release-updated', version: offered.version });
  } catch (error) {
    // Unreadable or unreachable (offline, a host mid-deploy) says nothing of an attack: keep quiet.
    if (error instanceof ReleaseError && error.reason !== 'unreadable')
      await tell({ type: 'release-refused', reason: error.reason, detail: error.message });
  }
}

function check(): Promise<void> {
  checking ??= checkForUpdate().finally(() => {
    checking = null;
  });
  return checking;
}

const unavailable = () =>
  new Response('The installed release of this app is not available; see the sealcam app on another device.', {
    status: 503,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });

async function page(event: FetchEvent): Promise<Response> {
  const now = await current();
  if (!now) return unavailable();
  if (Date.now() - lastCheck > CHECK_EVERY_MS) event.waitUntil(check());
  return (await now.cache.match('/index.html')) ?? unavailable();
}

async function file(request: Request, path: string): Promise<Response> {
  const now = await current();
  if (now && Object.hasOwn(now.release.files, path)) return (await now.cache.match(path)) ?? unavailable();
  // Not part of the release: data the app fetches passes; code, styles, frames or workers do not.
  if (request.destination !== '') return new Response('Not part of this release.', { status: 404 });
  return fetch(request);
}

self.addEventListener('install', (event) =>
  event.waitUntil(
    (async () => {
      const { release, text } = await fetchRelease(__RELEASE_PUBLIC_KEY__);
      pinned = Promise.resolve(await store(release, text, null));
      await dropAllBut(release.version);
    })(),
  ),
);
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
// Another worker being installed for the site: no release ships one (the active worker tells).
self.registration.addEventListener('updatefound', () => {
  if (self.serviceWorker?.state === 'activated') void tell({ type: 'worker-changed' });
});
self.addEventListener('message', (event) => {
  const data = event.data as { type?: unknown } | null;
  if (data?.type === 'check-update') event.waitUntil(check());
  else if (data?.type === 'status' && event.ports[0]) {
    const port = event.ports[0];
    event.waitUntil(current().then((now) => port.postMessage({ version: now?.release.version ?? null })));
  }
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin) return;
  if (event.request.mode === 'navigate') event.respondWith(page(event));
  else if (event.request.method === 'GET') event.respondWith(file(event.request, url.pathname));
});
