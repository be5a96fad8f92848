import type { Camera, DeviceId } from '../../../src/sdk/index.js';
import type { CameraPanel } from '../camera-panel.js';
import type { EventTimeline } from '../event-timeline.js';

/** What the pages read of the cameras the app holds (the app owns them; pages only show them). */
export interface CameraParts {
  /** This viewer's cameras, in the app's order. */
  cameras(): readonly Camera[];
  /** A camera's events (none for a distrusted camera: nothing of it is fetched). */
  timeline(deviceId: DeviceId): EventTimeline | undefined;
  /** A camera's settings panel (names, sharing, removal) and its key check. */
  panel(deviceId: DeviceId): CameraPanel | undefined;
  /** The gateway's name, or with `streamId` that camera's, from the device's sealed profile. */
  cameraName(deviceId: string, streamId?: string): string;
}
