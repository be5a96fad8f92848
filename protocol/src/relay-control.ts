import { fromUtf8, utf8 } from './bytes.js';
import { fail } from './errors.js';
import {
  type DeviceId,
  type EventId,
  isDeviceId,
  isEventId,
  isStreamId,
  isViewerId,
  type StreamId,
  type ViewerId,
} from './ids.js';
import { isRelayReason, type RelayReason } from './relay-reasons.js';

/**
 * WebSocket control messages: JSON text frames, one object each, at most CONTROL_MESSAGE_BYTES
 * bytes. Binary frames are live messages (relay-wire.ts). Each direction has its own closed set
 * and one decoder, used by the relay and by every client; a message that fails to decode is
 * SealError MALFORMED (the relay closes a viewer that sends one with 4400 bad-message; a client
 * ignores such a message from the relay). Unknown fields are refused: the sets are closed.
 */
export const CONTROL_MESSAGE_BYTES = 4096;

/** The live connection's path and subprotocols (PROTOCOL.md §16.2): `sealcam.v1` and `bearer.<token>`. */
export const LIVE_PATH = '/v1/live';
export const LIVE_SUBPROTOCOL = 'sealcam.v1';
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/**
 * On a `503 over-capacity` from handshake admission (PROTOCOL.md §16.2 step 6): the seconds after
 * Retry-After over which the client spreads its return. The relay scheduled that return; the client
 * does not spread it over the reconnect window.
 */
export const RETRY_SPREAD_HEADER = 'sealcam-retry-spread';

/**
 * The longest reconnect window a relay advertises (`reconnect`, PROTOCOL.md §16.2 step 5), and the
 * longest a client waits for a scheduled return (step 6), in seconds.
 */
export const MAX_RECONNECT_SECONDS = 600;

/**
 * A session renewal on an open live connection (PROTOCOL.md §16.2): a fresh session token of the same
 * identity, obtained over HTTP; the relay answers `renewed` and the connection lives until the new
 * token's expiry instead of the old one's.
 */
export interface RenewControl {
  readonly op: 'renew';
  readonly token: string;
}

/** The relay accepted a `renew`: the connection now lasts until `expiresAt` (ms since the epoch). */
export interface RenewedControl {
  readonly op: 'renewed';
  readonly expiresAt: number;
}

/**
 * The relay's reconnect window (PROTOCOL.md §16.2): should this connection drop without a close that
 * says when to come back, reconnect at a random point within the next `seconds`. The relay scales it
 * with the connections it holds, so a whole fleet losing it comes back at the pace it admits.
 */
export interface ReconnectControl {
  readonly op: 'reconnect';
  readonly seconds: number;
}

/** Device → relay (text messages; frames and manifests are binary live messages). */
export type DeviceControl = RenewControl;

/** Viewer → relay. */
export type ViewerControl =
  | { readonly op: 'ping' }
  | RenewControl
  | { readonly op: 'subscribe' | 'unsubscribe'; readonly deviceId: DeviceId; readonly streamId: StreamId }
  | { readonly op: 'watch' | 'unwatch'; readonly deviceId: DeviceId }
  /**
   * A clock question for the device of a stream this connection is subscribed to (PROTOCOL.md §6.8):
   * `nonce` is 16 random bytes in lowercase hex. The device answers with a signed clock proof
   * (a LiveClock message) to the stream's viewers.
   */
  | {
      readonly op: 'clock';
      readonly deviceId: DeviceId;
      readonly streamId: StreamId;
      readonly nonce: string;
    };

/** A committed event, announced to viewers watching its device (its public listing fields). */
export interface EventNotice {
  readonly deviceId: DeviceId;
  readonly eventId: EventId;
  readonly streamId: StreamId;
  readonly time: number;
}

/** An `op: "error"` control message: the relay refused a subscription or ended a feed. */
export interface ControlError {
  readonly op: 'error';
  readonly reason: RelayReason;
  readonly message?: string;
  readonly deviceId?: DeviceId;
  readonly streamId?: StreamId;
  /** Seconds to wait before asking again (store-unavailable). */
  readonly retryAfter?: number;
}

/** Relay → viewer. */
export type RelayToViewer =
  | { readonly op: 'hello'; readonly id: ViewerId; readonly role: 'viewer' }
  | { readonly op: 'pong' }
  | {
      readonly op: 'subscribed';
      readonly deviceId: DeviceId;
      readonly streamId: StreamId;
      /** Whether the relay sent a stored manifest / keyframe right before this message. */
      readonly manifest: boolean;
      readonly keyframe: boolean;
    }
  | { readonly op: 'watching'; readonly deviceId: DeviceId }
  | ({ readonly op: 'event' } & EventNotice)
  | RenewedControl
  | ReconnectControl
  | ControlError;

/** Relay → device. */
export type RelayToDevice =
  | { readonly op: 'keyframe'; readonly streamId: StreamId }
  | { readonly op: 'mailbox'; readonly box: 'pairing' | 'inbox' }
  /**
   * Live on demand (PROTOCOL.md §16.4). With a streamId: someone watches that stream, upload it
   * live for `seconds` (a lease, renewed while they watch). Without: sent once per connection, this
   * relay grants leases, so a stream without one need not be uploaded live (only its keyframes now
   * and then, for late joiners).
   */
  | { readonly op: 'demand'; readonly streamId?: StreamId; readonly seconds: number }
  /** A viewer of the stream asks for a clock proof answering `nonce` (§6.8). */
  | { readonly op: 'clock'; readonly streamId: StreamId; readonly nonce: string }
  | RenewedControl
  | ReconnectControl;

export type ControlMessage = ViewerControl | DeviceControl | RelayToViewer | RelayToDevice;

export function encodeControl(message: ControlMessage): string {
  return JSON.stringify(message);
}

type Fields = Record<string, unknown>;
type Check = (value: unknown) => boolean;

const isBoolean: Check = (value) => typeof value === 'boolean';
const isTime: Check = (value) => Number.isSafeInteger(value) && (value as number) >= 0;
const isSeconds: Check = (value) =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 86_400;
/** A reconnect window: whole seconds, 1 to MAX_RECONNECT_SECONDS. */
const isWindow: Check = (value) =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_RECONNECT_SECONDS;
/** 16 bytes in lowercase hex (CLOCK_NONCE_BYTES). */
const isNonce: Check = (value) => typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
const isMessageText: Check = (value) => typeof value === 'string' && value.length <= 300;
/** A session token's text (what the relay's /v1/auth/token returned): base64url and dots, bounded. */
const isToken: Check = (value) =>
  typeof value === 'string' && value.length > 0 && value.length <= 2048 && /^[A-Za-z0-9_.-]+$/.test(value);

/** Per op: required fields and optional fields, each with its check. */
interface Shape {
  readonly required: Readonly<Record<string, Check>>;
  readonly optional?: Readonly<Record<string, Check>>;
}

/** A live session's own messages, the same for viewers and devices (PROTOCOL.md §16.2). */
const RENEW: Shape = { required: { token: isToken } };
const SESSION_FROM_RELAY: Readonly<Record<string, Shape>> = {
  renewed: { required: { expiresAt: isTime } },
  reconnect: { required: { seconds: isWindow } },
};

const VIEWER_CONTROL: Readonly<Record<string, Shape>> = {
  ping: { required: {} },
  renew: RENEW,
  subscribe: { required: { deviceId: isDeviceId, streamId: isStreamId } },
  unsubscribe: { required: { deviceId: isDeviceId, streamId: isStreamId } },
  watch: { required: { deviceId: isDeviceId } },
  unwatch: { required: { deviceId: isDeviceId } },
  clock: { required: { deviceId: isDeviceId, streamId: isStreamId, nonce: isNonce } },
};

const RELAY_TO_VIEWER: Readonly<Record<string, Shape>> = {
  hello: { required: { id: isViewerId, role: (value) => value === 'viewer' } },
  pong: { required: {} },
  subscribed: {
    required: { deviceId: isDeviceId, streamId: isStreamId, manifest: isBoolean, keyframe: isBoolean },
  },
  watching: { required: { deviceId: isDeviceId } },
  event: { required: { deviceId: isDeviceId, eventId: isEventId, streamId: isStreamId, time: isTime } },
  ...SESSION_FROM_RELAY,
  error: {
    required: { reason: isRelayReason },
    optional: { message: isMessageText, deviceId: isDeviceId, streamId: isStreamId, retryAfter: isSeconds },
  },
};

const RELAY_TO_DEVICE: Readonly<Record<string, Shape>> = {
  keyframe: { required: { streamId: isStreamId } },
  mailbox: { required: { box: (value) => value === 'pairing' || value === 'inbox' } },
  demand: {
    required: {
      seconds: (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 600,
    },
    optional: { streamId: isStreamId },
  },
  clock: { required: { streamId: isStreamId, nonce: isNonce } },
  ...SESSION_FROM_RELAY,
};

const DEVICE_CONTROL: Readonly<Record<string, Shape>> = { renew: RENEW };

function decodeWith(shapes: Readonly<Record<string, Shape>>, text: string | Uint8Array): Fields {
  // The limit is in UTF-8 bytes, as the relay receives them: a string is measured encoded.
  const bytes = typeof text === 'string' ? utf8(text) : text;
  if (bytes.length > CONTROL_MESSAGE_BYTES) fail('MALFORMED', 'control message too long');
  const source = fromUtf8(bytes);
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    fail('MALFORMED', 'control message is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail('MALFORMED', 'control message is not a JSON object');
  const fields = value as Fields;
  const op = fields.op;
  const shape = typeof op === 'string' && Object.hasOwn(shapes, op) ? shapes[op] : undefined;
  if (!shape) fail('MALFORMED', 'unknown control op');
  for (const [name, check] of Object.entries(shape.required))
    if (!check(fields[name])) fail('MALFORMED', `control field ${name} missing or invalid`);
  for (const [name, field] of Object.entries(fields)) {
    if (name === 'op' || Object.hasOwn(shape.required, name)) continue;
    const check = shape.optional && Object.hasOwn(shape.optional, name) ? shape.optional[name] : undefined;
    if (!check) fail('MALFORMED', `unknown control field ${name}`);
    if (!check(field)) fail('MALFORMED', `control field ${name} invalid`);
  }
  return fields;
}

/** Decodes a viewer's control message (on the relay). Throws SealError MALFORMED. */
export function decodeViewerControl(text: string | Uint8Array): ViewerControl {
  return decodeWith(VIEWER_CONTROL, text) as unknown as ViewerControl;
}

/** Decodes a device's control message (on the relay). Throws SealError MALFORMED. */
export function decodeDeviceControl(text: string | Uint8Array): DeviceControl {
  return decodeWith(DEVICE_CONTROL, text) as unknown as DeviceControl;
}

/** Decodes a relay → viewer control message (in the SDK). Throws SealError MALFORMED. */
export function decodeRelayToViewer(text: string | Uint8Array): RelayToViewer {
  return decodeWith(RELAY_TO_VIEWER, text) as unknown as RelayToViewer;
}

/** Decodes a relay → device control message (in the agent). Throws SealError MALFORMED. */
export function decodeRelayToDevice(text: string | Uint8Array): RelayToDevice {
  return decodeWith(RELAY_TO_DEVICE, text) as unknown as RelayToDevice;
}

/** The op names of each direction, for documentation tests. */
export const CONTROL_OPS = {
  viewerToRelay: Object.keys(VIEWER_CONTROL),
  relayToViewer: Object.keys(RELAY_TO_VIEWER),
  relayToDevice: Object.keys(RELAY_TO_DEVICE),
  deviceToRelay: Object.keys(DEVICE_CONTROL),
} as const;
