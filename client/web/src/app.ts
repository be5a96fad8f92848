import type { Camera, DeviceId, EventView, Viewer } from '../../src/sdk/index.js';
import { AddForms } from './add-forms.js';
import { CameraPanel } from './camera-panel.js';
import { CameraStreams } from './camera-streams.js';
import { ClipPlayer } from './clip-player.js';
import { pairingCodeFromHash } from './codes.js';
import type { AppContext } from './context.js';
import { EventNotifications } from './event-notifications.js';
import { EventTimeline } from './event-timeline.js';
import { type PageName, type Route, Router } from './lib/router.js';
import { LiveGrid } from './live-grid.js';
import { mePanel } from './me-panel.js';
import { TaskQueue } from './task-queue.js';
import type { CameraParts } from './views/camera-parts.js';
import { CameraView } from './views/camera-view.js';
import { EventsView } from './views/events-view.js';
import { HomeView } from './views/home-view.js';
import { SettingsView } from './views/settings-view.js';
import { StaticView } from './views/static-view.js';
import { VerifyView } from './views/verify-view.js';
import type { View } from './views/view.js';
import { WarningBanner } from './warning-banner.js';

export interface AppElements {
  readonly alerts: HTMLElement;
  readonly alertBadge: HTMLElement;
  readonly nav: HTMLElement;
  /** One section per page (`data-page`), each with an h2 (`.page-title`). */
  readonly pages: Readonly<Record<PageName, HTMLElement>>;
  readonly grid: HTMLElement;
  readonly gridEmpty: HTMLElement;
  readonly panels: HTMLElement;
  readonly addForms: HTMLElement;
  readonly me: HTMLElement;
}

/** The document title of each page: never a camera's name (titles go into the browser's history). */
const DOCUMENT_TITLES: Readonly<Record<PageName, string>> = {
  home: 'Live',
  camera: 'Camera',
  events: 'Events',
  settings: 'Settings',
  verify: 'Safety number',
  add: 'Add a camera',
  me: 'This viewer',
};

interface CameraViews {
  camera: Camera;
  readonly panel: CameraPanel;
  /** None for a distrusted camera: nothing of it is fetched. */
  readonly streams: CameraStreams | null;
  readonly timeline: EventTimeline | null;
}

/**
 * The web viewer: pages with real URLs (lib/router.ts): live grid, a camera, events, settings, a
 * safety number, adding cameras, this viewer. The app owns each camera's parts (live tiles in the
 * grid, its event timeline, its settings panel); pages show them.
 */
export class App {
  private readonly warnings: WarningBanner;
  private readonly grid: LiveGrid;
  private readonly player: ClipPlayer;
  private readonly context: AppContext;
  private readonly forms: AddForms;
  private readonly notifications: EventNotifications;
  private readonly cameras = new Map<string, CameraViews>();
  private readonly views: Record<PageName, View>;
  private readonly verify: VerifyView;
  private readonly settings: SettingsView;
  private readonly cameraView: CameraView;
  private router: Router | undefined;
  private shown: View | undefined;

  constructor(
    private readonly viewer: Viewer,
    private readonly elements: AppElements,
    where: { readonly origin: string; readonly relays: readonly string[] },
  ) {
    this.warnings = new WarningBanner(elements.alerts, elements.alertBadge);
    this.grid = new LiveGrid(elements.grid, elements.gridEmpty);
    this.player = new ClipPlayer(viewer, this.warnings);
    const cameraName = (deviceId: string, streamId?: string) => {
      const camera = this.cameras.get(deviceId)?.camera;
      const gateway = camera ? (camera.gatewayName ?? camera.name) : 'Camera';
      const own = streamId ? camera?.cameras.find((c) => c.streamId === streamId)?.name : undefined;
      return own ?? gateway;
    };
    this.notifications = new EventNotifications(cameraName);
    this.context = {
      viewer,
      warnings: this.warnings,
      queue: new TaskQueue(4),
      cameraName,
      isOwner: (deviceId) => this.cameras.get(deviceId)?.camera.access === 'owner',
      playClip: (event: EventView) =>
        void this.player.open(event, this.context.cameraName(event.deviceId, event.streamId)),
      liveEventVerified: (event: EventView) => this.notifications.verified(event),
    };
    this.forms = new AddForms({
      viewer,
      warnings: this.warnings,
      origin: where.origin,
      relays: where.relays,
      onAdded: (camera, how) => this.added(camera, how),
    });
    const parts: CameraParts = {
      cameras: () => this.viewer.cameras(),
      timeline: (deviceId) => this.cameras.get(deviceId)?.timeline ?? undefined,
      panel: (deviceId) => this.cameras.get(deviceId)?.panel,
      cameraName,
    };
    const { pages } = elements;
    this.cameraView = new CameraView(pages.camera, this.grid, parts);
    this.settings = new SettingsView(pages.settings, elements.panels, parts);
    this.verify = new VerifyView(pages.verify, parts);
    this.views = {
      home: new HomeView(pages.home),
      camera: this.cameraView,
      events: new EventsView(pages.events, parts),
      settings: this.settings,
      verify: this.verify,
      add: new StaticView(pages.add, 'Add a camera'),
      me: new StaticView(pages.me, 'This viewer'),
    };
  }

  start(location: Location, history: History): void {
    this.elements.addForms.append(this.forms.element);
    this.elements.me.append(mePanel(this.viewer), this.notifications.element);
    this.sync();
    // The pairing link is /pair#SCP1-…: the code (and its one-time secret) stays in the fragment,
    // which browsers never send. Take it out of the address bar and history at once, then pair.
    const code = pairingCodeFromHash(location.hash);
    if (code) history.replaceState(null, '', '/add');
    this.router = new Router(history, location, (route) => this.showPage(route));
    this.router.start(document.body);
    if (code) void this.forms.submitPair(code);
    window.addEventListener('pagehide', () => void this.viewer.close());
  }

  /** Stops every view and closes the viewer: nothing uses the keys after this. */
  async stop(): Promise<void> {
    for (const held of this.cameras.values()) this.closeParts(held);
    this.cameras.clear();
    await this.viewer.close();
  }

  /** Shows one page: the one before gives back what it borrowed; focus goes to the new heading. */
  private showPage(route: Route): void {
    const next = this.views[route.page];
    const first = this.shown === undefined;
    this.shown?.hide();
    for (const [page, element] of Object.entries(this.elements.pages)) element.hidden = page !== route.page;
    next.show(route);
    this.shown = next;
    this.retitle();
    for (const link of Array.from(this.elements.nav.querySelectorAll('a'))) {
      const path = link.getAttribute('href') ?? '';
      const here =
        path === '/'
          ? route.page === 'home' || route.page === 'camera'
          : path === '/settings'
            ? route.page === 'settings' || route.page === 'verify'
            : path === `/${route.page}`;
      if (here) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    // A screen reader hears the new page; the first page is where the document starts anyway.
    if (!first) {
      window.scrollTo(0, 0);
      next.element.querySelector<HTMLElement>('.page-title')?.focus({ preventScroll: true });
    }
  }

  private retitle(): void {
    const route = this.router?.route;
    if (!this.shown || !route) return;
    const heading = this.shown.element.querySelector('.page-title');
    if (heading) heading.textContent = this.shown.title();
    // The browser keeps titles in its history (and may sync it): a camera's name stays out of it.
    document.title = `${DOCUMENT_TITLES[route.page]} · sealcam`;
  }

  private closeParts(held: CameraViews): void {
    held.panel.close();
    held.streams?.close();
    held.timeline?.close();
  }

  /** Brings the parts in line with the cameras the viewer holds, and the page shown with them. */
  private sync(): void {
    const cameras = this.viewer.cameras();
    this.grid.setCameraOrder(cameras.map((camera) => camera.deviceId));
    // A camera this viewer no longer holds (removed): its parts go.
    for (const [deviceId, held] of this.cameras) {
      if (cameras.some((camera) => camera.deviceId === deviceId)) continue;
      this.closeParts(held);
      this.cameras.delete(deviceId);
    }
    for (const camera of cameras) {
      const held = this.cameras.get(camera.deviceId);
      if (
        held &&
        held.camera.access === camera.access &&
        held.camera.safetyNumber === camera.safetyNumber &&
        held.camera.distrusted === camera.distrusted
      ) {
        held.camera = camera;
        held.panel.update(camera);
        held.streams?.setName(camera.gatewayName ?? camera.name);
        continue;
      }
      if (held) this.closeParts(held);
      const panel: CameraPanel = new CameraPanel(this.context, camera, () => this.sync(), {
        // "They differ": saved, and this camera's parts are made again as distrusted (nothing fetched);
        // its settings page says so and offers removal.
        onMismatch: () => {
          streams?.close();
          timeline?.close();
          void this.viewer.distrust(camera.deviceId).then(() => {
            this.sync();
            this.router?.go({ page: 'settings', deviceId: camera.deviceId });
          });
        },
        onRemoved: () => this.sync(),
      });
      const streams: CameraStreams | null = camera.distrusted
        ? null
        : new CameraStreams(
            this.viewer,
            this.warnings,
            this.grid,
            camera.deviceId,
            camera.gatewayName ?? camera.name,
            (error) => panel.setAvailability(error),
            () => this.sync(),
          );
      const timeline = camera.distrusted
        ? null
        : new EventTimeline(this.context, camera.deviceId, camera.access === 'owner');
      this.cameras.set(camera.deviceId, { camera, panel, streams, timeline });
      this.insertPanel(panel, cameras, camera);
      panel.start();
      streams?.start();
      timeline?.start();
    }
    this.refreshPage();
  }

  /** The page shown again with the parts as they are now (names, cameras added or removed). */
  private refreshPage(): void {
    const route = this.router?.route;
    if (!route || !this.shown) return;
    if (route.page === 'camera') this.cameraView.render();
    else if (route.page === 'settings') this.settings.render();
    else if (route.page === 'events') this.shown.show(route);
    this.retitle();
  }

  private insertPanel(panel: CameraPanel, cameras: readonly Camera[], camera: Camera): void {
    const index = cameras.indexOf(camera);
    const next = cameras
      .slice(index + 1)
      .find((other) => this.cameras.get(other.deviceId)?.panel.element.isConnected);
    this.elements.panels.insertBefore(
      panel.element,
      next ? this.cameras.get(next.deviceId)!.panel.element : null,
    );
  }

  private added(camera: Camera, how: 'paired' | 'invited'): void {
    this.sync();
    if (!this.cameras.has(camera.deviceId)) return;
    const deviceId = camera.deviceId as DeviceId;
    if (how === 'paired') {
      this.verify.afterPairing();
      this.router?.go({ page: 'verify', deviceId });
    } else this.router?.go({ page: 'settings', deviceId });
  }
}
