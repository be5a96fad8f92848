import type { Camera, EventView, Viewer } from '../../src/sdk/index.js';
import { AddForms } from './add-forms.js';
import { CameraPanel } from './camera-panel.js';
import { CameraStreams } from './camera-streams.js';
import { ClipPlayer } from './clip-player.js';
import { pairingCodeFromHash } from './codes.js';
import type { AppContext } from './context.js';
import { EventNotifications } from './event-notifications.js';
import { LiveGrid } from './live-grid.js';
import { mePanel } from './me-panel.js';
import { TaskQueue } from './task-queue.js';
import { WarningBanner } from './warning-banner.js';

export interface AppElements {
  readonly alerts: HTMLElement;
  readonly alertBadge: HTMLElement;
  readonly grid: HTMLElement;
  readonly gridEmpty: HTMLElement;
  readonly panels: HTMLElement;
  readonly addForms: HTMLElement;
  readonly me: HTMLElement;
}

interface CameraViews {
  camera: Camera;
  readonly panel: CameraPanel;
  /** None for a distrusted camera: nothing of it is fetched. */
  readonly streams: CameraStreams | null;
}

/** The web viewer: cameras (live grid and panels), adding cameras, this viewer's codes. */
export class App {
  private readonly warnings: WarningBanner;
  private readonly grid: LiveGrid;
  private readonly player: ClipPlayer;
  private readonly context: AppContext;
  private readonly forms: AddForms;
  private readonly notifications: EventNotifications;
  private readonly cameras = new Map<string, CameraViews>();

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
  }

  start(location: Location, history: History): void {
    this.elements.addForms.append(this.forms.element);
    this.elements.me.append(mePanel(this.viewer), this.notifications.element);
    this.sync();
    // The pairing link is /pair#SCP1-…: the code (and its one-time secret) stays in the fragment,
    // which browsers never send. Take it out of the address bar and history at once, then pair.
    const code = pairingCodeFromHash(location.hash);
    if (code) {
      history.replaceState(null, '', `${location.pathname}${location.search}`);
      document.getElementById('add')?.scrollIntoView();
      void this.forms.submitPair(code);
    }
    window.addEventListener('pagehide', () => void this.viewer.close());
  }

  /** Stops every view and closes the viewer: nothing uses the keys after this. */
  async stop(): Promise<void> {
    for (const held of this.cameras.values()) {
      held.panel.close();
      held.streams?.close();
    }
    this.cameras.clear();
    await this.viewer.close();
  }

  /** Brings the views in line with the cameras the viewer holds. */
  private sync(): void {
    const cameras = this.viewer.cameras();
    this.grid.setCameraOrder(cameras.map((camera) => camera.deviceId));
    // A camera this viewer no longer holds (removed): its views go.
    for (const [deviceId, held] of this.cameras) {
      if (cameras.some((camera) => camera.deviceId === deviceId)) continue;
      held.panel.close();
      held.streams?.close();
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
      if (held) {
        held.panel.close();
        held.streams?.close();
      }
      const panel: CameraPanel = new CameraPanel(this.context, camera, () => this.sync(), {
        // "They differ": saved, and this camera's views are made again as distrusted (nothing fetched).
        onMismatch: () => {
          streams?.close();
          void this.viewer.distrust(camera.deviceId).then(() => this.sync());
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
      this.cameras.set(camera.deviceId, { camera, panel, streams });
      this.insertPanel(panel, cameras, camera);
      panel.start();
      streams?.start();
    }
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
    const views = this.cameras.get(camera.deviceId);
    if (!views) return;
    if (how === 'paired') views.panel.keys.askToCompare(camera.name);
    else views.panel.element.scrollIntoView({ block: 'start' });
  }
}
