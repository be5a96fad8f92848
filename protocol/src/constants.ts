/** Wire constants. docs/PROTOCOL.md is the normative description of each value. */

export const PROTOCOL_VERSION = 1;

/**
 * Second byte of every wire structure (the live frame header has none) and the kind bound into AAD.
 * The local key-store format uses 0x1f (see identity.ts); it never travels.
 */
export const Kind = {
  LiveFrame: 0x01,
  Thumbnail: 0x02,
  ClipChunk: 0x03,
  EventRecord: 0x04,
  KeyManifest: 0x05,
  EventEnvelope: 0x06,
  ClockProof: 0x07,
  IdentityCard: 0x10,
  Grant: 0x11,
  Revocation: 0x12,
  AccessList: 0x13,
  CameraName: 0x14,
  PairingPayload: 0x20,
  PairRequest: 0x21,
  PairResponse: 0x22,
  AuthProof: 0x30,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export const Role = { Device: 1, Viewer: 2 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Role of a viewer on one device. */
export const Access = { Owner: 1, Viewer: 2 } as const;
export type Access = (typeof Access)[keyof typeof Access];

/**
 * What a live frame or a clip carries. 2, 3, 5 and 6 are timed codecs: their live payload is a
 * MediaPayload (media-payload.ts); a clip of codec 2 or 3 is a fragmented MP4 (clip-mp4.ts). 6 is a
 * JPEG picture with its capture time (live only; the agent's JPEG cameras send it so that viewers
 * can tell live from delayed, §6.8); 1 is a bare JPEG picture (clips, older agents).
 */
export const Codec = { Jpeg: 1, H264AnnexB: 2, H265AnnexB: 3, Raw: 4, AacAdts: 5, JpegTimed: 6 } as const;
export type Codec = (typeof Codec)[keyof typeof Codec];

export const ID_BYTES = 16;
export const KEY_BYTES = 32;
export const SIG_BYTES = 64;
export const HASH_BYTES = 32;
export const TAG_BYTES = 16;
export const NONCE_BYTES = 24;
export const EVENT_ID_BYTES = 16;
export const PAIRING_SECRET_BYTES = 32;
export const CHALLENGE_BYTES = 32;

export const FRAME_HEADER_BYTES = 8;
/** Published per-frame overhead: clear header + Poly1305 tag. */
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + TAG_BYTES;
export const FRAME_FLAG_KEYFRAME = 0x01;
export const FRAME_FLAGS_RESERVED = 0x0e;
export const FRAME_MAX_COUNTER = 0xffffffff;

export const CLIP_FLAG_FINAL = 0x01;

export const LIMITS = {
  streamIdBytes: 64,
  recipients: 256,
  framePayloadBytes: 8 * 1024 * 1024,
  thumbnailBytes: 2 * 1024 * 1024,
  clipChunkBytes: 8 * 1024 * 1024,
  /** 512 chunk hashes of 32 bytes keep a record well under recordBytes (§7.7). */
  clipChunks: 512,
  recordBytes: 64 * 1024,
  labels: 32,
  labelBytes: 64,
  urlBytes: 255,
  nameBytes: 64,
  accessListEntries: 1024,
  /** Cameras named in one device profile, and its padded plaintext: that of 64 cameras (§9.3). */
  profileCameras: 64,
  profileBytes: 8448,
  /** Nonces answered by one clock proof (§6.8). */
  clockNonces: 32,
} as const;

/** Domain-separation labels. Each is ASCII and appears in docs/PROTOCOL.md. */
export const Label = {
  id: 'sealcam/v1/id',
  signature: 'sealcam/v1/sig',
  wrap: 'sealcam/v1/wrap',
  frameKey: 'sealcam/v1/frame-key',
  frameNonce: 'sealcam/v1/frame-nonce',
  keyId: 'sealcam/v1/key-id',
  eventKey: 'sealcam/v1/event-key',
  manifestHash: 'sealcam/v1/manifest-hash',
  objectHash: 'sealcam/v1/object-hash',
  cardHash: 'sealcam/v1/card-hash',
  safetyNumber: 'sealcam/v1/safety-number',
  pairId: 'sealcam/v1/pair-id',
  pairCodeCheck: 'sealcam/v1/pair-code-check',
  pairRequestKey: 'sealcam/v1/pair-request-key',
  pairResponseKey: 'sealcam/v1/pair-response-key',
  pairTranscript: 'sealcam/v1/pair-transcript',
  streamId: 'sealcam/v1/stream-id',
  cameraName: 'sealcam/v1/camera-name',
} as const;
