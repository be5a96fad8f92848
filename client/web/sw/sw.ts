/**
 * The installed web app's service worker: it pins a release and updates it itself. It never changes
 * between releases (it holds the release public key and no version), so a new sw.js from the site is
 * never a release: the page reports it (src/app-release.ts). Releases change only files:
 *  - install: the release the site offers, if release.json verifies with the built-in key and every
 *    listed file has its listed SHA-256 (trust on first use: any version);
 *  - update (asked by the page, or at most once a minute on a navigation): a release newer than the
 *    pinned one, verified the same way, fully fetched into its own cache before it replaces the pinned
 *    one; an older, unsigned or mismatching offer is refused and the pages are told why;
 *  - serve: every navigation gets the pinned index.html, every listed file the pinned copy, never the
 *    network; what the release does not list (the API, /config.json, release.json) passes through.
 */
import { fetchListed, fetchRelease, ReleaseError, type WebRelease } from '../src/release-check.js';

declare const __RELEASE_PUBLIC_KEY__: string;
declare const self: ServiceWorkerGlobalScope;

const PREFIX = 'sealcam-app-';
/** The last entry written to a release's cache: the release is complete, with its file list. */
const COMPLETE = '/.sealcam-release';
const CHECK_EVERY_MS = 60_000;

interface Pinned {
  readonly release: WebRelease;
  readonly cache: Cache;
}

let pinned: Promise<Pinned | null> | null = null;
let checking: Promise<void> | null = null;
let lastCheck = 0;

/** The newest complete release in the caches (a worker is restarted at will: nothing lives in memory). */
async function findPinned(): Promise<Pinned | null> {
  let best: Pinned | null = null;
  for (const name of await caches.keys()) {
    if (!name.startsWith(PREFIX)) continue;
    const cache = await caches.open(name);
    const marker = await cache.match(COMPLETE);
    if (!marker) continue;
    const release = (await marker.json()) as WebRelease;
    if (!best || release.version > best.release.version) best = { release, cache };
  }
  return best;
}

function current(): Promise<Pinned | null> {
  pinned ??= findPinned();
  return pinned;
}

/** Fetches and checks every file of `release` into its own cache; marks it complete last. */
async function store(release: WebRelease): Promise<Pinned> {
  const name = `${PREFIX}${release.version}`;
  await caches.delete(name);
  const cache = await caches.open(name);
  for (const path of Object.keys(release.files)) await cache.put(path, await fetchListed(release, path));
  await cache.put(
    COMPLETE,
    new Response(JSON.stringify(release), { headers: { 'content-type': 'application/json' } }),
  );
  return { release, cache };
}

async function dropAllBut(keep: number): Promise<void> {
  for (const name of await caches.keys())
    if (name.startsWith(PREFIX) && name !== `${PREFIX}${keep}`) await caches.delete(name);
}

async function tell(message: { type: string; [key: string]: unknown }): Promise<void> {
  for (const client of await self.clients.matchAll({ type: 'window' })) client.postMessage(message);
}

/** Looks at the release the site offers now: a newer signed one replaces the pinned one. */
async function checkForUpdate(): Promise<void> {
  lastCheck = Date.now();
  const now = await current();
  if (!now) return;
  let offered: WebRelease;
  try {
    offered = await fetchRelease(__RELEASE_PUBLIC_KEY__);
    if (offered.version === now.release.version) return;
    if (offered.version < now.release.version)
      throw new ReleaseError('older', `release ${offered.version} is older than ${now.release.version}`);
    const next = store(offered);
    await next;
    pinned = next;
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

self.addEventListener('install', (event) =>
  event.waitUntil(
    (async () => {
      const release = await fetchRelease(__RELEASE_PUBLIC_KEY__);
      const stored = await store(release);
      pinned = Promise.resolve(stored);
      await dropAllBut(release.version);
    })(),
  ),
);
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'check-update') event.waitUntil(check());
});
self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const navigation = event.request.mode === 'navigate';
  event.respondWith(
    (async () => {
      const now = await current();
      if (!now) return fetch(event.request);
      if (navigation && Date.now() - lastCheck > CHECK_EVERY_MS) event.waitUntil(check());
      const path = navigation ? '/index.html' : url.pathname;
      if (!navigation && !Object.hasOwn(now.release.files, path)) return fetch(event.request);
      const hit = await now.cache.match(path);
      return hit ?? new Response('This file of the installed release is missing.', { status: 503 });
    })(),
  );
});
