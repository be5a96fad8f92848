import type { EventView, Viewer } from '../../src/sdk/index.js';
import type { TaskQueue } from './task-queue.js';
import type { WarningBanner } from './warning-banner.js';

/** What the views share: the SDK, the warning banner, the load queue and the clip player. */
export interface AppContext {
  readonly viewer: Viewer;
  readonly warnings: WarningBanner;
  /** Opens events and thumbnails a few at a time. */
  readonly queue: TaskQueue;
  /**
   * The current name (it can be renamed while views are open): of the gateway, or with `streamId` of
   * that camera, as the device's sealed profile gives them (else this viewer's own label).
   */
  cameraName(deviceId: string, streamId?: string): string;
  /** Whether this viewer owns the camera (may delete its events). */
  isOwner(deviceId: string): boolean;
  /** Plays the clip of a verified event. */
  playClip(event: EventView): void;
  /** An event that arrived live has verified (it may be announced). */
  liveEventVerified(event: EventView): void;
}
