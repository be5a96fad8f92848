import { randomBytes } from 'node:crypto';
import {
  type DeviceId,
  decodeLiveMessage,
  decodeRelayToDevice,
  decodeRelayToViewer,
  deviceIdOf,
  type EventNotice,
  encodeControl,
  isDeviceId,
  parseDeviceId,
  parseFrameHeader,
  type RelayToDevice,
  WireType,
} from '@sealcam/protocol/relay-safe';
import type { FastifyBaseLogger } from 'fastify';
import { type Bus, type BusListener, channel } from '../bus/bus.js';
import type { Metrics } from '../ops/metrics.js';
import { errorText } from './error-text.js';
import { type FrameSink, streamKeyOf } from './fan-out.js';

/** Bus message: origin (8 bytes) ‖ kind ‖ payload. A process ignores its own messages. */
const BusKind = { Wire: 1, EventNotice: 2, DeviceNotice: 3, AccessChanged: 4 } as const;
const ORIGIN_BYTES = 8;
const PROBE_INTERVAL_MS = 1000;

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
  private readonly origin = randomBytes(ORIGIN_BYTES);
  private readonly channels = new Set<string>();
  private readonly remoteReceivers = new Map<DeviceId, { receivers: number; lastProbe: number }>();
  private readonly listener: BusListener = (message) => this.onMessage(message);
  readonly enabled: boolean;

  constructor(private readonly deps: BusBridgeDependencies) {
    this.enabled = deps.bus.kind !== 'local';
  }

  /**
   * Publishes to other processes only while one of them listens (the bus reports receivers);
   * manifests always go out, and a probe once a second notices new listeners. A process that starts
   * listening gets the cached keyframe from the shared store, so keyframes need not be pushed eagerly.
   */
  publishLive(deviceId: DeviceId, wire: Uint8Array, important: boolean): void {
    if (!this.enabled) return;
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
    this.deps.metrics.busPublishes.inc({ kind: important ? 'key' : 'delta' });
    this.deps.bus.publish(channel.device(deviceId), this.message(BusKind.Wire, wire)).then((receivers) => {
      tracked.receivers = receivers;
    });
  }

  /** The device left this process: its receiver counts start afresh next time. */
  forgetDevice(deviceId: DeviceId): void {
    this.remoteReceivers.delete(deviceId);
  }

  publishEvent(notice: EventNotice): void {
    if (!this.enabled) return;
    const payload = Buffer.from(encodeControl({ op: 'event', ...notice }));
    this.deps.bus.publish(channel.events(notice.deviceId), this.message(BusKind.EventNotice, payload));
  }

  publishAccessChanged(deviceId: DeviceId): void {
    if (!this.enabled) return;
    const payload = Buffer.from(deviceId);
    for (const name of [channel.device(deviceId), channel.events(deviceId)]) {
      this.deps.bus.publish(name, this.message(BusKind.AccessChanged, payload));
    }
  }

  /** For a device connected to another process. */
  publishDeviceNotice(deviceId: DeviceId, message: RelayToDevice): void {
    if (!this.enabled) return;
    const payload = Buffer.from(JSON.stringify({ deviceId, message: encodeControl(message) }));
    this.deps.bus.publish(channel.events(deviceId), this.message(BusKind.DeviceNotice, payload));
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

  private message(kind: number, payload: Uint8Array): Uint8Array {
    const message = new Uint8Array(ORIGIN_BYTES + 1 + payload.length);
    message.set(this.origin);
    message[ORIGIN_BYTES] = kind;
    message.set(payload, ORIGIN_BYTES + 1);
    return message;
  }

  private onMessage(message: Uint8Array): void {
    if (message.length <= ORIGIN_BYTES + 1) return;
    if (Buffer.from(message.buffer, message.byteOffset, ORIGIN_BYTES).equals(this.origin)) return;
    const kind = message[ORIGIN_BYTES];
    const payload = message.subarray(ORIGIN_BYTES + 1);
    try {
      if (kind === BusKind.Wire) {
        const wire = decodeLiveMessage(payload);
        const streamKey = streamKeyOf(deviceIdOf(wire.deviceId), wire.streamId);
        if (wire.type === WireType.LiveFrame)
          this.deps.sink.deliverFrame(streamKey, payload, parseFrameHeader(wire.payload).keyframe);
        else this.deps.sink.deliverSigned(streamKey, payload);
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
