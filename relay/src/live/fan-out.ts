import { type DeviceId, type EventNotice, parseDeviceId, type StreamId } from '@sealcam/protocol/relay-safe';
import type { ViewerConnection } from './viewer-connection.js';

/** Where live messages of a stream go: this process's viewers (and, under test, a fault wrapper). */
export interface FrameSink {
  deliverFrame(streamKey: string, wire: Uint8Array, keyframe: boolean): void;
  /** A manifest or a clock proof: device-signed, never dropped for a slow viewer. */
  deliverSigned(streamKey: string, wire: Uint8Array): void;
}

/** A stream's key in the fan-out: `<deviceId>/<streamId>`. */
export const streamKeyOf = (deviceId: DeviceId, streamId: StreamId) => `${deviceId}/${streamId}`;
/** The device of a stream key (not on the per-frame path: used when a viewer leaves a stream). */
export const deviceOfStreamKey = (streamKey: string): DeviceId =>
  parseDeviceId(streamKey.slice(0, streamKey.indexOf('/')));

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): boolean {
  const set = map.get(key);
  if (!set?.delete(value)) return false;
  if (set.size === 0) map.delete(key);
  return true;
}

/**
 * Who follows what on this process: viewers per stream (live frames) and per device (event
 * notices). A frame is sent as the same bytes to every viewer of its stream.
 */
export class FanOut implements FrameSink {
  private readonly streamViewers = new Map<string, Set<ViewerConnection>>();
  private readonly eventViewers = new Map<DeviceId, Set<ViewerConnection>>();
  /** Live subscriptions per device (a device's streams together). */
  private readonly liveInterest = new Map<DeviceId, number>();

  deliverFrame(streamKey: string, wire: Uint8Array, keyframe: boolean): void {
    const viewers = this.streamViewers.get(streamKey);
    if (viewers) for (const viewer of viewers) viewer.sendFrame(streamKey, wire, keyframe);
  }

  deliverSigned(streamKey: string, wire: Uint8Array): void {
    const viewers = this.streamViewers.get(streamKey);
    if (viewers) for (const viewer of viewers) if (!viewer.joining.has(streamKey)) viewer.send(wire);
  }

  deliverEvent(notice: EventNotice): void {
    for (const viewer of this.eventViewers.get(notice.deviceId) ?? [])
      viewer.control({ op: 'event', ...notice });
  }

  addStreamViewer(viewer: ViewerConnection, deviceId: DeviceId, streamKey: string): void {
    addTo(this.streamViewers, streamKey, viewer);
    this.liveInterest.set(deviceId, (this.liveInterest.get(deviceId) ?? 0) + 1);
  }

  removeStreamViewer(viewer: ViewerConnection, deviceId: DeviceId, streamKey: string): void {
    removeFrom(this.streamViewers, streamKey, viewer);
    const count = (this.liveInterest.get(deviceId) ?? 1) - 1;
    if (count > 0) this.liveInterest.set(deviceId, count);
    else this.liveInterest.delete(deviceId);
  }

  addEventViewer(viewer: ViewerConnection, deviceId: DeviceId): void {
    addTo(this.eventViewers, deviceId, viewer);
  }

  /** False when the viewer was not watching. */
  removeEventViewer(viewer: ViewerConnection, deviceId: DeviceId): boolean {
    return removeFrom(this.eventViewers, deviceId, viewer);
  }

  /** Viewers following any feed of the device (for access rechecks). */
  followersOf(deviceId: DeviceId): Set<ViewerConnection> {
    const viewers = new Set<ViewerConnection>(this.eventViewers.get(deviceId) ?? []);
    for (const [streamKey, set] of this.streamViewers) {
      if (streamKey.startsWith(`${deviceId}/`)) for (const viewer of set) viewers.add(viewer);
    }
    return viewers;
  }

  hasLiveViewers(deviceId: DeviceId): boolean {
    return (this.liveInterest.get(deviceId) ?? 0) > 0;
  }

  hasEventViewers(deviceId: DeviceId): boolean {
    return (this.eventViewers.get(deviceId)?.size ?? 0) > 0;
  }

  streamKeys(): IterableIterator<string> {
    return this.streamViewers.keys();
  }

  viewersOf(streamKey: string): ReadonlySet<ViewerConnection> | undefined {
    return this.streamViewers.get(streamKey);
  }
}
