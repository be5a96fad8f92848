/**
 * Guards the installed app against a site that swaps it (PROTOCOL.md §17, THREAT-MODEL.md "The web
 * app"). The service worker pins this release and takes newer signed releases itself; it never
 * changes between releases. So the page reports, and stops the app on:
 *  - a refused release (the worker says why: unsigned, older, mismatch);
 *  - a changed worker: the site serves another sw.js (no release does), or another worker is
 *    registered for a part of the site (`worker-changed`);
 *  - a worker that took control of this page without being the one that served it (`took-over`).
 * A newer signed release makes the page reload into it. Detection of a swap is best effort: a
 * replaced app does not warn about itself (THREAT-MODEL.md).
 */
import type { ReleaseRefusal } from './release-check.js';

declare const __RELEASE_VERSION__: number;

/** This app's release version (built in). */
export const APP_RELEASE_VERSION = __RELEASE_VERSION__;

export type AppIntegrityWarning = Exclude<ReleaseRefusal, 'unreadable'> | 'worker-changed' | 'took-over';

/** `pinned`: served by the worker from its verified release; `unpinned`: from the site as is. */
export type PinState = 'pinned' | 'unpinned' | 'unsupported';

export interface AppReleaseHandlers {
  /** The site tried to replace the app: the app must stop using its keys. */
  onWarning(reason: AppIntegrityWarning, detail: string): void;
  /** Whether this page runs the pinned release (known once the worker is installed, or failed to). */
  onPinState(state: PinState, detail: string): void;
}

const REFUSALS: ReadonlySet<string> = new Set(['unsigned', 'older', 'mismatch']);

type WorkerMessage = { type?: unknown; reason?: unknown; detail?: unknown; version?: unknown } | null;

/** The release version the worker has pinned (null: none, or no answer within 10 s). */
function pinnedVersionOf(worker: ServiceWorker): Promise<number | null> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), 10_000);
    channel.port1.onmessage = (event: MessageEvent) => {
      clearTimeout(timer);
      const version = (event.data as WorkerMessage)?.version;
      resolve(typeof version === 'number' ? version : null);
    };
    worker.postMessage({ type: 'status' }, [channel.port2]);
  });
}

/** Settles with the worker's fate: installed (then activated), or redundant (its install failed). */
function installed(worker: ServiceWorker): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = () => {
      if (worker.state === 'redundant') resolve(false);
      else if (worker.state !== 'installing' && worker.state !== 'parsed') resolve(true);
    };
    worker.addEventListener('statechange', settle);
    settle();
  });
}

/** Resolves with the page's controller: now, or once the first install claims it (at most 10 s). */
function controllerOf(container: ServiceWorkerContainer): Promise<ServiceWorker | null> {
  if (container.controller) return Promise.resolve(container.controller);
  return new Promise((resolve) => {
    container.addEventListener('controllerchange', () => resolve(container.controller), { once: true });
    setTimeout(() => resolve(container.controller), 10_000);
  });
}

function onWorkerMessage(data: WorkerMessage, handlers: AppReleaseHandlers): void {
  if (
    data?.type === 'release-updated' &&
    typeof data.version === 'number' &&
    data.version > APP_RELEASE_VERSION
  )
    location.reload();
  else if (data?.type === 'release-refused' && typeof data.reason === 'string' && REFUSALS.has(data.reason))
    handlers.onWarning(data.reason as AppIntegrityWarning, String(data.detail ?? ''));
  else if (data?.type === 'worker-changed')
    handlers.onWarning('worker-changed', 'the site is installing another service worker');
}

/**
 * Starts guarding. The listeners are attached before anything is awaited, and the worker's messages
 * sent while the page was starting (a swap during its start) were queued for it.
 */
export function guardAppRelease(handlers: AppReleaseHandlers): void {
  if (!('serviceWorker' in navigator)) {
    handlers.onPinState('unsupported', 'this browser has no service workers');
    return;
  }
  const container = navigator.serviceWorker;
  let controller = container.controller;
  container.addEventListener('controllerchange', () => {
    const previous = controller;
    controller = container.controller;
    // The first install claims an uncontrolled page; any later change of controller is a new worker.
    if (previous) handlers.onWarning('took-over', 'a new service worker took control of this site');
  });
  container.addEventListener('message', (event: MessageEvent) => onWorkerMessage(event.data, handlers));
  container.startMessages();
  void (async () => {
    let registration: ServiceWorkerRegistration;
    try {
      registration = await container.register('/sw.js', { scope: '/', updateViaCache: 'none' });
    } catch (error) {
      handlers.onPinState('unpinned', `the service worker could not be registered (${String(error)})`);
      return;
    }
    const changed = (detail: string) => handlers.onWarning('worker-changed', detail);
    registration.addEventListener('updatefound', () => {
      if (registration.active) changed('the site serves another service worker');
    });
    if (registration.active && (registration.waiting || registration.installing))
      changed('another service worker waits to take over');
    // One worker, at the root: a worker registered for a narrower scope would take the paths under it.
    for (const other of await container.getRegistrations())
      if (other.scope !== registration.scope)
        changed(`another service worker is registered for ${other.scope}`);
    const first = registration.active ? null : registration.installing;
    if (first && !(await installed(first))) {
      handlers.onPinState('unpinned', 'the site offers no release signed with the release key');
      return;
    }
    const ready = await container.ready;
    const controlling = await controllerOf(container);
    const version = controlling && ready.active ? await pinnedVersionOf(ready.active) : null;
    if (version === APP_RELEASE_VERSION) handlers.onPinState('pinned', `release ${APP_RELEASE_VERSION}`);
    else
      handlers.onPinState(
        'unpinned',
        controlling
          ? 'this page was not served from the pinned release; the next load is'
          : 'this load bypassed the service worker (a forced reload)',
      );
    ready.active?.postMessage({ type: 'check-update' });
  })();
}
