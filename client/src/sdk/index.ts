/** The codec a LiveFrame names (`frame.codec`), so that callers need not import the protocol. */
/** The branded ids of the SDK's API, and their parsers (for ids typed in, scanned or read from links). */
export {
  CLIP_MP4_TYPE,
  Codec,
  type DeviceId,
  type EventId,
  type Freshness,
  isDeviceId,
  isStreamId,
  LIVE_FRESHNESS_MS,
  parseDeviceId,
  parseEventId,
  parseStreamId,
  parseViewerId,
  type StreamId,
  type ViewerId,
} from '@sealcam/protocol';
export { type Subject, ViewerError, type ViewerReason } from './errors.js';
export { IndexedDbKeyStore } from './indexeddb-key-store.js';
export type { LiveFrame, LiveHandlers } from './live-view.js';
export type { LiveState, WebSocketFactory, WebSocketLike } from './relay-connection.js';
export { inviteCode, parseInviteCode, parseViewerCardCode, viewerCardCode } from './share-codes.js';
export {
  type Camera,
  type CameraName,
  type CameraProfile,
  type ClipChunk,
  type ClipFile,
  type EventListing,
  type EventView,
  type RevocationTicket,
  type Subscription,
  Viewer,
  type ViewerOptions,
} from './viewer.js';
export { type KeyStore, MemoryKeyStore, type StoredCamera, type ViewerState } from './viewer-state.js';
