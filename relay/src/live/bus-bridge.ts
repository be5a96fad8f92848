import {
  type DeviceId,
  decodeRelayToDevice,
  decodeRelayToViewer,
  type EventNotice,
  encodeControl,
  isDeviceId,
  parseDeviceId,
  type RelayToDevice,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import { type Bus, type BusListener, channel } from '../bus/bus.js';
import type { Metrics } from '../ops/metrics.js';
import { errorText } from './error-text.js';
import type { FrameSink } from './fan-out.js';

/**
 * Bus message: kind ‖ payload (the bus itself keeps a process from hearing its own). A live message
 * (kind Wire) carries its routing ahead of the device's bytes: route ‖ stream key length (1 byte) ‖
 * stream key (ASCII) ‖ wire message, so the receiving process forwards it without decoding it.
 */
const BusKind = { Wire: 1, EventNotice: 2, DeviceNotice: 3, AccessChanged: 4 } as const;
/** How a live message is delivered: a frame (dropped for a slow viewer), a keyframe, or signed. */
export type LiveRoute = 'frame' | 'keyframe' | 'signed';
const ROUTE_BYTE: Readonly<Record<LiveRoute, number>> = { frame: 0, keyframe: 1, signed: 2 };
const WIRE_HEADER_BYTES = 3;
const SLASH = 0x2f;
const PROBE_INTERVAL_MS = 1000;
/** Each kind's one-byte header, made once. */
const KIND = {
  EventNotice: Uint8Array.of(BusKind.EventNotice),
  DeviceNotice: Uint8Array.of(BusKind.DeviceNotice),
  AccessChanged: Uint8Array.of(BusKind.AccessChanged),
} as const;

export interface BusBridgeDependencies {
  readonly bus: Bus;
  readonly metrics: Metrics;
  readonly log: FastifyBaseLogger;
  /** Live messages from other processes go to this process's viewers. */
  readonly sink: FrameSink;
  readonly deliverEvent: (notice: EventNotice) => void;
  readonly accessChanged: (deviceId: DeviceId) => void;
  /** Sends a control message to the device if it is connected here. */
  readonly toLocalDevice: (deviceId: DeviceId, message: RelayToDevice) => void;
}

/**
 * Connects relay processes through the bus (Redis pub/sub): live messages, event notices, device
 * notices and access changes, each on the device's channels, subscribed only while this process has
 * a local reason to. With the local bus (one process) it does nothing.
 */
export class BusBridge {
  private readonly channels = new Set<string>();
  private readonly remoteReceivers = new Map<DeviceId, { receivers: number; lastProbe: number }>();
  private readonly listener: BusListener = (message, name) => this.onMessage(message, name);
  readonly enabled: boolean;

  constructor(private readonly deps: BusBridgeDependencies) {
    this.enabled = deps.bus.kind !== 'local';
  }

  /**
   * Publishes to other processes only while one of them listens (the bus reports receivers);
   * signed messages (manifests, clock proofs) always go out, and a probe once a second notices new
   * listeners. A process that starts listening gets the cached keyframe from the shared store, so
   * keyframes need not be pushed eagerly. `wire` is copied once, by the bus.
   */
  publishLive(deviceId: DeviceId, streamKey: string, wire: Uint8Array, route: LiveRoute): void {
    if (!this.enabled) return;
    const important = route === 'signed';
    const now = Date.now();
    let state = this.remoteReceivers.get(deviceId);
    if (!state) {
      state = { receivers: -1, lastProbe: 0 };
      this.remoteReceivers.set(deviceId, state);
    }
    if (!important && state.receivers === 0) {
      if (now - state.lastProbe < PROBE_INTERVAL_MS) return;
      state.lastProbe = now;
    }
    const tracked = state;
    const header = Buffer.allocUnsafe(WIRE_HEADER_BYTES + streamKey.length);
    header[0] = BusKind.Wire;
    header[1] = ROUTE_BYTE[route];
    header[2] = streamKey.length;
    header.write(streamKey, WIRE_HEADER_BYTES, 'latin1');
    // Frames may be dropped when the bus is backed up; signed messages keep a reserve.
    this.send(channel.device(deviceId), [header, wire], important ? 'key' : 'delta', !important).then(
      (receivers) => {
        tracked.receivers = receivers;
      },
    );
  }

  /** Publishes and counts: each message, and each one the bus did not send. */
  private send(name: string, parts: readonly Uint8Array[], kind: string, droppable = false): Promise<number> {
    if (kind === 'delta') this.deps.metrics.hot.busDeltaPublishes += 1;
    else this.deps.metrics.busPublishes.inc({ kind });
    return this.deps.bus.publish(name, parts, droppable).then((receivers) => {
      if (receivers < 0) this.deps.metrics.busPublishFailures.inc({ kind });
      return receivers;
    });
  }

  /** The device left this process: its receiver counts start afresh next time. */
  forgetDevice(deviceId: DeviceId): void {
    this.remoteReceivers.delete(deviceId);
  }

  publishEvent(notice: EventNotice): void {
    if (!this.enabled) return;
    const payload = Buffer.from(encodeControl({ op: 'event', ...notice }));
    void this.send(channel.events(notice.deviceId), [KIND.EventNotice, payload], 'event');
  }

  publishAccessChanged(deviceId: DeviceId): void {
    if (!this.enabled) return;
    const payload = Buffer.from(deviceId);
    for (const name of [channel.device(deviceId), channel.events(deviceId)]) {
      void this.send(name, [KIND.AccessChanged, payload], 'access');
    }
  }

  /** For a device connected to another process. */
  publishDeviceNotice(deviceId: DeviceId, message: RelayToDevice): void {
    if (!this.enabled) return;
    const payload = Buffer.from(JSON.stringify({ deviceId, message: encodeControl(message) }));
    void this.send(channel.events(deviceId), [KIND.DeviceNotice, payload], 'device-notice');
  }

  /** Subscribes to a device's channels while this process wants its live messages or its events. */
  setInterest(deviceId: DeviceId, wanted: { live: boolean; events: boolean }): void {
    this.subscription(channel.device(deviceId), wanted.live);
    this.subscription(channel.events(deviceId), wanted.events);
  }

  private subscription(name: string, wanted: boolean): void {
    if (!this.enabled || wanted === this.channels.has(name)) return;
    if (wanted) {
      this.channels.add(name);
      this.deps.bus.subscribe(name, this.listener).catch(() => this.channels.delete(name));
    } else {
      this.channels.delete(name);
      this.deps.bus.unsubscribe(name, this.listener).catch(() => {});
    }
  }

  /**
   * A live message from another process: routed by its header, the device's bytes untouched. The
   * stream key must be of the device whose channel it came on (a confused bus cannot move one
   * device's messages to another's viewers; they would refuse them anyway).
   */
  private onWire(message: Uint8Array, name: string): void {
    const keyLength = message[2] ?? 0;
    const start = WIRE_HEADER_BYTES + keyLength;
    if (message.length <= start || keyLength === 0) throw new Error('short live message');
    const streamKey = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString(
      'latin1',
      WIRE_HEADER_BYTES,
      start,
    );
    const device = channel.liveDevice(name);
    // No string built per frame: the key is `<device>/<stream>` (fan-out.ts).
    if (
      device === null ||
      streamKey.length <= device.length ||
      streamKey.charCodeAt(device.length) !== SLASH ||
      !streamKey.startsWith(device)
    )
      throw new Error('live message on another device’s channel');
    const wire = message.subarray(start);
    const route = message[1];
    if (route === ROUTE_BYTE.signed) this.deps.sink.deliverSigned(streamKey, wire);
    else if (route === ROUTE_BYTE.frame || route === ROUTE_BYTE.keyframe)
      this.deps.sink.deliverFrame(streamKey, wire, route === ROUTE_BYTE.keyframe);
    else throw new Error('unknown live route');
  }

  private onMessage(message: Uint8Array, name: string): void {
    if (message.length < 2) return;
    const kind = message[0];
    const payload = message.subarray(1);
    try {
      if (kind === BusKind.Wire) {
        this.onWire(message, name);
      } else if (kind === BusKind.EventNotice) {
        const message = decodeRelayToViewer(payload);
        if (message.op !== 'event') throw new Error('not an event notice');
        const { op: _event, ...notice } = message;
        this.deps.deliverEvent(notice);
      } else if (kind === BusKind.AccessChanged) {
        this.deps.accessChanged(parseDeviceId(Buffer.from(payload).toString('utf8')));
      } else if (kind === BusKind.DeviceNotice) {
        const notice = JSON.parse(Buffer.from(payload).toString('utf8')) as {
          deviceId?: unknown;
          message?: unknown;
        };
        if (!isDeviceId(notice.deviceId) || typeof notice.message !== 'string')
          throw new Error('bad device notice');
        this.deps.toLocalDevice(notice.deviceId, decodeRelayToDevice(notice.message));
      }
    } catch (error) {
      this.deps.metrics.badInput.inc({ surface: 'bus' });
      this.deps.log.warn({ err: errorText(error) }, 'unreadable bus message');
    }
  }
}
