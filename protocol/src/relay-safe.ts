/**
 * The part of the protocol a relay may use: parsing public fields and verifying signatures with
 * public keys. Nothing here takes a private key or opens sealed content. The relay package can
 * only resolve this entry point (under the "sealcam-relay" condition "." resolves to a module that exports nothing and throws).
 */
export { type AccessList, accessEntryOf, verifyAccessList } from './access-list.js';
export { APP_PAGES } from './app-pages.js';
export { type AuthProofExpectation, verifyAuthProof } from './auth.js';
export { fromBase32, fromBase64Url, fromHex, toBase32, toBase64Url, toHex } from './bytes.js';
export { CLOCK_NONCE_BYTES, CLOCK_PROOF_MAX_BYTES, parseClockProof } from './clock-proof.js';
export * from './constants.js';
export { ErrorCode, explain, SealError } from './errors.js';
export {
  itemHeaderLength,
  type ParsedEventEnvelope,
  parseEventEnvelope,
  parseItemHeader,
  verifyEventEnvelope,
} from './event-format.js';
export { type FrameHeader, frameKeyframeAt, parseFrameHeader } from './frame-format.js';
export { fingerprint, formatId, type IdentityCard, idFromSignKey, parseCard, parseId } from './identity.js';
export {
  type DeviceId,
  deviceIdOf,
  type EventId,
  eventIdOf,
  ID_CHARACTER_CLASS,
  ID_TEXT_PATTERN,
  ID_TEXT_SOURCE,
  isDeviceId,
  isEventId,
  isStreamId,
  isViewerId,
  parseDeviceId,
  parseEventId,
  parseStreamId,
  parseViewerId,
  STREAM_ID_RULE,
  STREAM_ID_TEXT_PATTERN,
  STREAM_ID_TEXT_SOURCE,
  type StreamId,
  type ViewerId,
  viewerIdOf,
} from './ids.js';
export { manifestHash, type ParsedManifest, parseManifest, verifyManifest } from './manifest-format.js';
export { parsePairingRouting } from './pairing.js';
export {
  BEARER_SUBPROTOCOL_PREFIX,
  CONTROL_MESSAGE_BYTES,
  CONTROL_OPS,
  type ControlError,
  type ControlMessage,
  type DeviceControl,
  decodeDeviceControl,
  decodeRelayToDevice,
  decodeRelayToViewer,
  decodeViewerControl,
  type EventNotice,
  encodeControl,
  LIVE_PATH,
  LIVE_SUBPROTOCOL,
  MAX_RECONNECT_SECONDS,
  RETRY_SPREAD_HEADER,
  type ReconnectControl,
  type RelayToDevice,
  type RelayToViewer,
  type RenewControl,
  type RenewedControl,
  type ViewerControl,
} from './relay-control.js';
export {
  describeRelayReason,
  formatCloseReason,
  isRelayReason,
  type ParsedRelayReason,
  parseCloseReason,
  parseErrorBody,
  RELAY_REASON_LIST,
  RELAY_REASONS,
  type ReasonSpec,
  RelayClose,
  type RelayErrorBody,
  type RelayReason,
  reasonSpec,
} from './relay-reasons.js';
export {
  decodeLiveMessage,
  encodeLiveMessage,
  type LiveMessage,
  type LiveMessageInput,
  WireType,
} from './relay-wire.js';
export { ready } from './sodium.js';
