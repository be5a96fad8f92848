import { type Camera, type DeviceId, type StreamId, type Viewer, ViewerError } from '../../src/sdk/index.js';
import type { LiveGrid } from './live-grid.js';
import { LiveTile } from './live-tile.js';
import { diffStreams } from './stream-diff.js';
import type { WarningBanner } from './warning-banner.js';

/** How often a camera's stream list is polled for new streams. */
export const STREAM_POLL_MS = 5000;
const MAX_POLL_MS = 60_000;

/**
 * Keeps one live tile per stream of one camera: polls `viewer.streams` every few seconds (while the
 * page is visible) and adds and removes tiles as streams come and go.
 */
export class CameraStreams {
  private readonly tiles = new Map<StreamId, LiveTile>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private failures = 0;
  private profileVersion: number | undefined;

  constructor(
    private readonly viewer: Viewer,
    private readonly warnings: WarningBanner,
    private readonly grid: LiveGrid,
    readonly deviceId: DeviceId,
    /** The gateway's label: the device's own name for it, else this viewer's. */
    private gatewayLabel: string,
    /** Called with why the camera is unavailable (an error), or undefined when the relay answers again. */
    private readonly onAvailability: (error: unknown) => void,
    /** Called when the device's sealed profile (its names) changed. */
    private readonly onProfile: () => void = () => undefined,
  ) {}

  start(): void {
    void this.poll();
  }

  setName(gatewayLabel: string): void {
    this.gatewayLabel = gatewayLabel;
    this.renameTiles();
  }

  /** Each tile titled with its camera's name from the device's sealed profile (never the stream id). */
  private renameTiles(): void {
    const cameras = this.viewer.cameras().find((c) => c.deviceId === this.deviceId)?.cameras ?? [];
    for (const tile of this.tiles.values())
      tile.setName(cameraTitle(cameras, tile.streamId), this.gatewayLabel);
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    if (document.visibilityState !== 'hidden') {
      try {
        const streams = await this.viewer.streams(this.deviceId);
        // The names come from the device's signed list; a refused or stale one leaves the last names,
        // and a stale one (a relay serving an older list, ROLLBACK) is reported as not verified.
        const profile = await this.viewer.profile(this.deviceId).catch((error: unknown) => {
          if (error instanceof ViewerError && error.reason === 'ROLLBACK')
            this.warnings.report(`${this.gatewayLabel} · camera names`, error);
          return null;
        });
        if (this.closed) return;
        if (profile && profile.version !== this.profileVersion) {
          this.profileVersion = profile.version;
          this.onProfile();
        }
        this.failures = 0;
        this.onAvailability(undefined);
        const { added, removed } = diffStreams(this.tiles.keys(), streams);
        this.renameTiles();
        for (const streamId of removed) {
          const tile = this.tiles.get(streamId);
          this.tiles.delete(streamId);
          if (tile) this.grid.remove(tile);
        }
        for (const streamId of added) {
          const cameras = this.viewer.cameras().find((c) => c.deviceId === this.deviceId)?.cameras ?? [];
          const tile = new LiveTile(
            this.viewer,
            this.warnings,
            this.deviceId,
            streamId,
            cameraTitle(cameras, streamId),
            this.gatewayLabel,
          );
          this.tiles.set(streamId, tile);
          this.grid.add(tile);
          tile.start();
        }
      } catch (error) {
        if (this.closed) return;
        this.failures += 1;
        this.onAvailability(error);
      }
    }
    // While the relay refuses or cannot be reached, ask less and less often (up to once a minute).
    const delay = Math.min(MAX_POLL_MS, STREAM_POLL_MS * 2 ** Math.min(this.failures, 4));
    this.timer = setTimeout(() => void this.poll(), delay);
  }

  get streamCount(): number {
    return this.tiles.size;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const tile of this.tiles.values()) this.grid.remove(tile);
    this.tiles.clear();
  }
}

/** A stream's camera name from the profile, or a neutral title while the device has not named it. */
function cameraTitle(cameras: Camera['cameras'], streamId: StreamId): string {
  return cameras.find((camera) => camera.streamId === streamId)?.name ?? 'Camera';
}
