export { createAccessList } from './access-list.js';
export { NAL_PPS, NAL_SPS, type NalPosition, nalPositions, withoutReplacedParameterSets } from './annex-b.js';
export { authProofBody, createAuthProof } from './auth.js';
export { concat, equalBytes, fromUtf8, utf8 } from './bytes.js';
export {
  type CameraNameChange,
  type CameraNameInput,
  cameraNameBody,
  createCameraName,
  openCameraName,
} from './camera-name.js';
export {
  CLIP_CONTAINER_TYPE,
  type ClipFrame,
  clipChunkSize,
  decodeClipChunk,
  encodeClipChunk,
} from './clip-container.js';
export { CLIP_MP4_TYPE, checkMp4ClipChunk } from './clip-mp4.js';
export { CLOCK_SKEW_MS } from './clock.js';
export {
  CLOCK_NONCE_BYTES,
  CLOCK_PROOF_MAX_BYTES,
  type ClockProof,
  clockProofBytes,
  createClockProof,
  openClockProof,
  parseClockProof,
} from './clock-proof.js';
export {
  checkName,
  type DeviceProfile,
  openProfile,
  type SealedProfile,
  sealProfile,
} from './device-profile.js';
export {
  closeEvent,
  type EventExpectation,
  EventSealer,
  type EventSealerOptions,
  type EventSummary,
  type OpenedEvent,
  openClip,
  openClipChunk,
  openEvent,
  openThumbnail,
} from './event.js';
export { itemHash, verifyEventEnvelope } from './event-format.js';
export { decodeEventRecord, type EventRecord, encodeEventRecord } from './event-record.js';
export { FrameOpener, FrameSealer, frameKeyId, type OpenedFrame } from './frame.js';
export {
  CLOCK_CONTRADICTION_MS,
  type ClockSample,
  type Freshness,
  frameAgeBoundMs,
  freshnessOf,
  LIVE_FRESHNESS_MS,
  MAX_CLOCK_DRIFT,
  MAX_CLOCK_ROUND_TRIP_MS,
  usableSample,
} from './freshness.js';
export {
  createGrant,
  createRevocation,
  type Grant,
  type GrantInput,
  grantBody,
  type Revocation,
  type RevocationInput,
  revocationBody,
  verifyGrant,
  verifyRevocation,
} from './grant.js';
export {
  cardHash,
  createIdentity,
  exportIdentity,
  type Identity,
  identityCardBody,
  importIdentity,
  safetyNumber,
} from './identity.js';
export { type AgreedKey, type KeyHolder, memoryKeyHolder, signedWith, viewerFor } from './key-holder.js';
export {
  type ManifestExpectation,
  type ManifestPrevious,
  type OpenedManifest,
  openManifest,
  type SealedManifest,
  sealManifest,
} from './manifest.js';
export { verifyManifest } from './manifest-format.js';
export {
  decodeMediaPayload,
  encodeMediaPayload,
  isTimedCodec,
  MEDIA_PAYLOAD_HEADER_BYTES,
  type MediaPayload,
} from './media-payload.js';
export { type Padding, pad, paddedLength, unpad } from './padding.js';
export {
  createPairingOffer,
  createPairRequest,
  createPairResponse,
  openPairRequest,
  openPairResponse,
  type PairingOffer,
  type PairingResult,
  pairingCode,
  pairingId,
  pairingLink,
  parsePairing,
} from './pairing.js';
export { type Rng, seededRng, systemRng } from './random.js';
export * from './relay-safe.js';
export {
  INVITE_CODE_PREFIX,
  type Invite,
  inviteCode,
  parseInviteCode,
  parseViewerCode,
  VIEWER_CODE_PREFIX,
  viewerCode,
} from './share-codes.js';
export { signatureInput } from './signature.js';
export { opaqueStreamId } from './stream-id.js';
export {
  type AuthorisedViewer,
  addPairedViewer,
  applyGrant,
  applyRevocation,
  currentRecipients,
  emptyViewerList,
  type ViewerList,
} from './viewer-list.js';
export type { WrapRecipient } from './wrap.js';
