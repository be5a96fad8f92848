/**
 * Guards the installed app against a site that swaps it (PROTOCOL.md §9, THREAT-MODEL.md "the web
 * app"): registers the service worker that pins this release's files, and checks every update the
 * site offers before asking for it. A newer release signed by the release key built into this app
 * is taken (the page reloads into it). Anything else is refused and reported: unsigned, older, not
 * matching its list, or a worker that took control without this app asking.
 */
import { fetchListed, fetchRelease, ReleaseError, type ReleaseRefusal } from './release-check.js';

declare const __RELEASE_PUBLIC_KEY__: string;
declare const __RELEASE_VERSION__: number;

/** This app's release: its version, and the key every update must be signed with. */
export const APP_RELEASE = { version: __RELEASE_VERSION__, publicKey: __RELEASE_PUBLIC_KEY__ } as const;

export type AppIntegrityWarning = ReleaseRefusal | 'took-over';

export interface AppReleaseHandlers {
  /** An offered update was refused, or a worker took over unasked: the app must stop using its keys. */
  onWarning(reason: AppIntegrityWarning, detail: string): void;
}

/** When `worker` has installed (it waits there until asked), runs `then`. */
function whenInstalled(worker: ServiceWorker, then: () => void): void {
  if (worker.state === 'installed') {
    then();
    return;
  }
  worker.addEventListener('statechange', () => {
    if (worker.state === 'installed') then();
  });
}

/**
 * Registers the pinning worker and watches for updates. 'unsupported' where there are no service
 * workers (the app then runs from whatever the site serves each time, unpinned).
 */
export async function guardAppRelease(handlers: AppReleaseHandlers): Promise<'pinned' | 'unsupported'> {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  const container = navigator.serviceWorker;
  /** Workers of releases this app checked and asked for. */
  const accepted = new WeakSet<ServiceWorker>();
  const registration = await container.register('/sw.js', { scope: '/', updateViaCache: 'none' });

  const examine = async (worker: ServiceWorker | null): Promise<void> => {
    // The first install has nothing to compare with: trust on first use (THREAT-MODEL.md).
    if (!worker || !registration.active) return;
    try {
      const offered = await fetchRelease(APP_RELEASE.publicKey);
      if (offered.version <= APP_RELEASE.version)
        throw new ReleaseError(
          'older',
          `release ${offered.version} is not newer than ${APP_RELEASE.version}`,
        );
      await fetchListed(offered, '/sw.js');
      accepted.add(worker);
      whenInstalled(worker, () => worker.postMessage({ type: 'take-update' }));
    } catch (error) {
      if (error instanceof ReleaseError) handlers.onWarning(error.reason, error.message);
      else handlers.onWarning('unreadable', error instanceof Error ? error.message : String(error));
    }
  };

  let current = container.controller;
  container.addEventListener('controllerchange', () => {
    const previous = current;
    current = container.controller;
    if (current && accepted.has(current)) location.reload();
    else if (previous)
      handlers.onWarning('took-over', 'a worker this app did not accept took control of the site');
    // else: the first install claiming this page.
  });
  registration.addEventListener('updatefound', () => void examine(registration.installing));
  await examine(registration.waiting ?? registration.installing);
  return 'pinned';
}
