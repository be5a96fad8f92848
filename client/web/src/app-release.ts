/**
 * Guards the installed app against a site that swaps it (PROTOCOL.md §17, THREAT-MODEL.md "The web
 * app"). The service worker pins this release and takes newer signed releases itself; it never
 * changes between releases. So the page reports, and stops the app on:
 *  - a refused release (the worker says why: unsigned, older, mismatch);
 *  - a changed worker: the site serves another sw.js, which no release does (`worker-changed`);
 *  - a worker that took control of this page without being the one that served it (`took-over`).
 * A newer signed release makes the page reload into it. Detection of a swap is best effort: a
 * replaced app does not warn about itself (THREAT-MODEL.md).
 */
import type { ReleaseRefusal } from './release-check.js';

declare const __RELEASE_VERSION__: number;

/** This app's release version (built in). */
export const APP_RELEASE_VERSION = __RELEASE_VERSION__;

export type AppIntegrityWarning = Exclude<ReleaseRefusal, 'unreadable'> | 'worker-changed' | 'took-over';

/** `pinned`: served by the worker from a verified release; `unpinned`: from the site as is. */
export type PinState = 'pinned' | 'unpinned' | 'unsupported';

export interface AppReleaseHandlers {
  /** The site tried to replace the app: the app must stop using its keys. */
  onWarning(reason: AppIntegrityWarning, detail: string): void;
  /** Whether this page runs a pinned release (known once the worker is installed, or failed to). */
  onPinState(state: PinState, detail: string): void;
}

const REFUSALS: ReadonlySet<string> = new Set(['unsigned', 'older', 'mismatch']);

/** Settles with the worker's fate: installed (then activated), or redundant (its install failed). */
function installed(worker: ServiceWorker): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = () => {
      if (worker.state === 'redundant') resolve(false);
      else if (worker.state === 'installed' || worker.state === 'activating' || worker.state === 'activated')
        resolve(true);
    };
    worker.addEventListener('statechange', settle);
    settle();
  });
}

/**
 * Starts guarding. The listeners are attached before anything is awaited, so that a worker taking
 * over while the page starts is seen; the worker is then registered and asked to check for a release.
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
  container.addEventListener('message', (event: MessageEvent) => {
    const data = event.data as {
      type?: unknown;
      reason?: unknown;
      detail?: unknown;
      version?: unknown;
    } | null;
    if (
      data?.type === 'release-updated' &&
      typeof data.version === 'number' &&
      data.version > APP_RELEASE_VERSION
    )
      location.reload();
    else if (data?.type === 'release-refused' && typeof data.reason === 'string' && REFUSALS.has(data.reason))
      handlers.onWarning(data.reason as AppIntegrityWarning, String(data.detail ?? ''));
  });
  void (async () => {
    let registration: ServiceWorkerRegistration;
    try {
      registration = await container.register('/sw.js', { scope: '/', updateViaCache: 'none' });
    } catch (error) {
      handlers.onPinState('unpinned', `the service worker could not be registered (${String(error)})`);
      return;
    }
    const changed = () => handlers.onWarning('worker-changed', 'the site serves another service worker');
    registration.addEventListener('updatefound', () => {
      if (registration.active) changed();
    });
    if (registration.active && (registration.waiting || registration.installing)) changed();
    const first = registration.active ? null : registration.installing;
    if (first && !(await installed(first))) {
      handlers.onPinState('unpinned', 'the site offers no release signed with the release key');
      return;
    }
    const ready = await container.ready;
    // The first install claims this page right after activating; a forced reload bypasses the worker.
    const controlled =
      container.controller ??
      (await new Promise<ServiceWorker | null>((resolve) => {
        container.addEventListener('controllerchange', () => resolve(container.controller), { once: true });
        setTimeout(() => resolve(container.controller), 10_000);
      }));
    handlers.onPinState(
      controlled ? 'pinned' : 'unpinned',
      controlled
        ? `release ${APP_RELEASE_VERSION}`
        : 'this load bypassed the service worker (a forced reload)',
    );
    ready.active?.postMessage({ type: 'check-update' });
  })();
}
