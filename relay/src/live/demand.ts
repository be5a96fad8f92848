import type { DeviceId, RelayToDevice, StreamId } from '@sealcam/protocol/relay-safe';
import { deviceOfStreamKey, streamKeyOf } from './fan-out.js';

/** How long a demand lease lets a device upload a stream live (PROTOCOL.md §16.4). */
export const DEMAND_LEASE_SECONDS = 30;
/** Leases are renewed this often while anyone here watches: three renewals per lease. */
export const DEMAND_RENEW_MS = (DEMAND_LEASE_SECONDS * 1000) / 3;
/** A subscription renews a stream's lease at once, but at most this often per stream. */
const IMMEDIATE_RENEW_MS = 1000;
const REMEMBERED_STREAMS = 100_000;

export interface DemandDependencies {
  /** Streams with live viewers on this process, as fan-out stream keys. */
  readonly watchedStreams: () => Iterable<string>;
  /** Sends to the device wherever it is connected (here, or through the bus). */
  readonly notifyDevice: (deviceId: DeviceId, message: RelayToDevice) => void;
}

/**
 * Live on demand: tells each device which of its streams someone watches, as leases renewed while
 * they watch, so that a camera nobody watches uploads only an occasional keyframe. The relay learns
 * nothing from this that subscriptions did not already tell it.
 */
export class DemandLeases {
  private readonly lastImmediate = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: DemandDependencies) {
    this.timer = setInterval(() => this.renewAll(), DEMAND_RENEW_MS);
    this.timer.unref();
  }

  /** A device connected here: it learns that this relay grants leases. */
  announce(deviceId: DeviceId): void {
    this.deps.notifyDevice(deviceId, { op: 'demand', seconds: DEMAND_LEASE_SECONDS });
  }

  /** A viewer here subscribed to the stream. */
  watched(deviceId: DeviceId, streamId: StreamId): void {
    const key = streamKeyOf(deviceId, streamId);
    const now = Date.now();
    if (now - (this.lastImmediate.get(key) ?? Number.NEGATIVE_INFINITY) < IMMEDIATE_RENEW_MS) return;
    if (this.lastImmediate.size >= REMEMBERED_STREAMS) this.lastImmediate.clear();
    this.lastImmediate.set(key, now);
    this.lease(deviceId, streamId);
  }

  /** Renews the leases of the device's watched streams (after it reconnected here). */
  renewDevice(deviceId: DeviceId): void {
    for (const key of this.deps.watchedStreams())
      if (key.startsWith(`${deviceId}/`)) this.lease(deviceId, key.slice(key.indexOf('/') + 1) as StreamId);
  }

  private renewAll(): void {
    for (const key of this.deps.watchedStreams())
      this.lease(deviceOfStreamKey(key), key.slice(key.indexOf('/') + 1) as StreamId);
  }

  private lease(deviceId: DeviceId, streamId: StreamId): void {
    this.deps.notifyDevice(deviceId, { op: 'demand', streamId, seconds: DEMAND_LEASE_SECONDS });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
