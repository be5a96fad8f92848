import type { DeviceId, StreamId } from '../../../src/sdk/index.js';
import { h, setStatus, statusLine } from '../dom.js';
import type { EventTimeline } from '../event-timeline.js';
import { type Route, routePath } from '../lib/router.js';
import type { LiveGrid } from '../live-grid.js';
import type { LiveTile } from '../live-tile.js';
import type { CameraParts } from './camera-parts.js';
import { noSuchCamera } from './not-found.js';
import type { View } from './view.js';

/** A file name for a snapshot: the camera's name (kept on this device) and the local time. */
function snapshotName(cameraName: string, at: Date): string {
  const safe = cameraName.replace(/[^\p{L}\p{N}_-]+/gu, '-').replace(/^-+|-+$/g, '') || 'camera';
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${safe}-${at.getFullYear()}${pad(at.getMonth() + 1)}${pad(at.getDate())}-${pad(at.getHours())}${pad(at.getMinutes())}${pad(at.getSeconds())}.png`;
}

/**
 * One camera: its live tile, large (borrowed from the grid: it keeps playing, nothing is subscribed
 * twice), a snapshot of the verified picture on screen, full screen, and its events (the gateway's
 * timeline, showing this camera's only).
 */
export class CameraView implements View {
  private readonly gateway: HTMLElement;
  private readonly stage: HTMLElement;
  private readonly events: HTMLElement;
  private readonly actions: HTMLElement;
  private readonly settings: HTMLAnchorElement;
  private readonly status: HTMLParagraphElement;
  private readonly waiting = h('p', { class: 'empty' });
  private readonly missing = noSuchCamera();
  private route: { deviceId: DeviceId; streamId: StreamId } | undefined;
  private tile: LiveTile | undefined;
  private timeline: EventTimeline | undefined;
  private stopWatching: (() => void) | undefined;

  constructor(
    readonly element: HTMLElement,
    private readonly grid: LiveGrid,
    private readonly parts: CameraParts,
  ) {
    this.gateway = h('p', { class: 'camera-page-gateway' });
    this.stage = h('div', { class: 'camera-stage', 'data-testid': 'camera-stage' });
    this.status = statusLine();
    const snapshot = h(
      'button',
      { type: 'button', class: 'button secondary', 'data-testid': 'camera-snapshot' },
      'Snapshot',
    );
    snapshot.addEventListener('click', () => void this.snapshot());
    const full = h('button', { type: 'button', class: 'button secondary' }, 'Full screen');
    full.addEventListener('click', () => this.tile?.fullscreen());
    this.settings = h('a', { class: 'button secondary', href: '/settings' }, 'Camera settings');
    this.actions = h('div', { class: 'button-row camera-actions' }, snapshot, full, this.settings);
    this.events = h('div', { class: 'camera-events' });
    element.append(
      h('p', { class: 'back-link' }, h('a', { href: '/' }, '← All cameras')),
      this.gateway,
      this.stage,
      this.actions,
      this.status,
      h('h3', {}, 'Events'),
      this.events,
    );
  }

  show(route: Route): void {
    if (route.page !== 'camera') return;
    this.route = { deviceId: route.deviceId, streamId: route.streamId };
    this.stopWatching ??= this.grid.onChange(() => this.render());
    setStatus(this.status, '');
    this.render();
  }

  hide(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.giveBack();
    this.route = undefined;
  }

  title(): string {
    return this.route ? this.parts.cameraName(this.route.deviceId, this.route.streamId) : 'Camera';
  }

  /** Takes this camera's tile and timeline (again, after tiles came or went or names changed). */
  render(): void {
    const route = this.route;
    if (!route) return;
    const camera = this.parts.cameras().find((each) => each.deviceId === route.deviceId);
    if (!camera) {
      this.giveBack();
      this.show1(this.stage, this.missing);
      this.events.replaceChildren();
      this.actions.hidden = true;
      this.gateway.textContent = '';
      return;
    }
    this.actions.hidden = false;
    this.gateway.textContent = this.parts.cameraName(route.deviceId);
    this.settings.href = routePath({ page: 'settings', deviceId: route.deviceId });
    const tile = this.grid.find(route.deviceId, route.streamId);
    if (tile !== this.tile) {
      if (this.tile) this.grid.restore(this.tile);
      this.tile = tile;
    }
    if (!tile)
      this.waiting.textContent = camera.distrusted
        ? 'This camera is stopped: you said its safety number differs.'
        : 'Waiting for this camera’s live stream…';
    this.show1(this.stage, tile?.element ?? this.waiting);
    const timeline = this.parts.timeline(route.deviceId);
    if (timeline !== this.timeline) {
      this.timeline?.setFilter({});
      this.timeline = timeline;
    }
    timeline?.setFilter({ streamId: route.streamId });
    if (timeline) this.show1(this.events, timeline.element);
    else this.events.replaceChildren();
  }

  /**
   * Puts one child in a slot, moving nothing that is already there: a moved element leaves full
   * screen and loses focus.
   */
  private show1(slot: HTMLElement, child: HTMLElement): void {
    if (slot.childElementCount !== 1 || slot.firstElementChild !== child) slot.replaceChildren(child);
  }

  private giveBack(): void {
    if (this.tile) this.grid.restore(this.tile);
    this.tile = undefined;
    this.timeline?.setFilter({});
    this.timeline = undefined;
  }

  private async snapshot(): Promise<void> {
    const tile = this.tile;
    if (!tile) return;
    const blob = await tile.snapshot();
    if (!blob) {
      setStatus(this.status, 'No verified picture is shown yet.', 'warn');
      return;
    }
    // Named by when the picture was taken (its verified capture time), not when it was saved.
    const taken = new Date(tile.pictureTime ?? Date.now());
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: snapshotName(tile.name, taken), hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    setStatus(
      this.status,
      `Snapshot saved: the verified picture shown, taken at ${taken.toLocaleTimeString()}${
        tile.isLive ? '' : ' (not live: see the tile)'
      }.`,
      'ok',
    );
  }
}
