/**
 * The app's pages as real URLs (the back button works, a page can be bookmarked or reloaded): the
 * relay and the app host serve index.html for each of these paths, the service worker serves the
 * pinned index.html for every navigation. Ids in a path are the SDK's (base32 device ids, stream
 * ids); nothing private is in a URL: a camera's name never is.
 *
 *   /                              home: every camera's live picture
 *   /camera/<deviceId>/<streamId>  one camera: large live view, its events, snapshot, full screen
 *   /events                        review: every event, filters, selection, delete
 *   /settings                      every gateway's settings
 *   /settings/<deviceId>           one gateway: names, who can see it, remove
 *   /settings/<deviceId>/verify    its safety number
 *   /add                           pair a camera or accept an invitation (also /pair#<code>)
 *   /me                            this viewer: its keys, codes and notifications
 */
import { type DeviceId, isDeviceId, isStreamId, type StreamId } from '../../../src/sdk/index.js';

export type Route =
  | { readonly page: 'home' }
  | { readonly page: 'camera'; readonly deviceId: DeviceId; readonly streamId: StreamId }
  | { readonly page: 'events' }
  | { readonly page: 'settings'; readonly deviceId: DeviceId | null }
  | { readonly page: 'verify'; readonly deviceId: DeviceId }
  | { readonly page: 'add' }
  | { readonly page: 'me' };

export type PageName = Route['page'];

/**
 * Whether a stream id can stand in a path: the id grammar allows "." and "..", which a browser
 * resolves away (/camera/<device>/.. is /camera/).
 */
export function isRoutableStreamId(value: unknown): value is StreamId {
  return isStreamId(value) && value !== '.' && value !== '..';
}

/** The route of a path; unknown paths are home (the app has no other pages). */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter((part) => part.length > 0);
  const device = parts[1];
  // Ids as the SDK writes them, nothing else, reach a view.
  if (device !== undefined && !isDeviceId(device)) return { page: 'home' };
  switch (parts[0]) {
    case 'camera':
      return parts.length === 3 && device && isRoutableStreamId(parts[2])
        ? { page: 'camera', deviceId: device, streamId: parts[2] }
        : { page: 'home' };
    case 'events':
      return parts.length === 1 ? { page: 'events' } : { page: 'home' };
    case 'settings':
      if (parts.length === 1) return { page: 'settings', deviceId: null };
      if (parts.length === 2 && device) return { page: 'settings', deviceId: device };
      return parts.length === 3 && device && parts[2] === 'verify'
        ? { page: 'verify', deviceId: device }
        : { page: 'home' };
    case 'add':
    case 'pair':
      return parts.length === 1 ? { page: 'add' } : { page: 'home' };
    case 'me':
      return parts.length === 1 ? { page: 'me' } : { page: 'home' };
    default:
      return { page: 'home' };
  }
}

/** The path of a route (the inverse of parseRoute for every route it returns). */
export function routePath(route: Route): string {
  switch (route.page) {
    case 'home':
      return '/';
    case 'camera':
      return `/camera/${route.deviceId}/${route.streamId}`;
    case 'events':
      return '/events';
    case 'settings':
      return route.deviceId === null ? '/settings' : `/settings/${route.deviceId}`;
    case 'verify':
      return `/settings/${route.deviceId}/verify`;
    case 'add':
      return '/add';
    case 'me':
      return '/me';
  }
}

/**
 * Follows the address bar: same-document links (`a[href^="/"]` without `download` or a target) and
 * `go()` push a history entry, the back and forward buttons pop one; each change calls `onRoute`.
 */
export class Router {
  private current: Route;

  constructor(
    private readonly history: History,
    private readonly location: Location,
    private readonly onRoute: (route: Route) => void,
  ) {
    this.current = parseRoute(location.pathname);
  }

  get route(): Route {
    return this.current;
  }

  start(root: HTMLElement): void {
    // A fragment link (#alerts, the skip link) pops a history entry too: the page stays as it is.
    window.addEventListener('popstate', () => {
      const route = parseRoute(this.location.pathname);
      if (routePath(route) !== routePath(this.current)) this.show(route);
    });
    root.addEventListener('click', (event) => {
      if (event.defaultPrevented || event.button !== 0) return;
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const link = (event.target as Element | null)?.closest?.('a');
      if (!link || link.hasAttribute('download') || link.target) return;
      const href = link.getAttribute('href');
      if (!href?.startsWith('/') || href.startsWith('//')) return;
      event.preventDefault();
      this.go(parseRoute(new URL(href, this.location.origin).pathname));
    });
    this.show(this.current);
  }

  /** Opens a page with a new history entry (none when it is already open). */
  go(route: Route): void {
    const path = routePath(route);
    if (path !== this.location.pathname) this.history.pushState(null, '', path);
    this.show(route);
  }

  /** Opens a page in place of this history entry (a page that cannot be shown, e.g. a removed camera). */
  replace(route: Route): void {
    this.history.replaceState(null, '', routePath(route));
    this.show(route);
  }

  private show(route: Route): void {
    this.current = route;
    this.onRoute(route);
  }
}
