import { FRAME_HEADER_BYTES, itemHeaderLength, Kind } from '@sealcam/protocol';

/**
 * The plaintext baseline: what a service without end-to-end sealing stores. Each object keeps its
 * public header (the relay routes and indexes by it, and cannot tell the difference) but the body
 * after it is the picture itself instead of ciphertext. For comparison runs only.
 */
export function unsealedItem(
  sealed: Uint8Array,
  plaintext: Uint8Array,
  kind: 'thumbnail' | 'chunk',
): Uint8Array {
  const headerBytes = itemHeaderBytes(kind);
  return Buffer.concat([sealed.subarray(0, headerBytes), plaintext]);
}

export function unsealedFrame(sealed: Uint8Array, plaintext: Uint8Array): Uint8Array {
  return Buffer.concat([sealed.subarray(0, FRAME_HEADER_BYTES), plaintext]);
}

/** The clear header of a thumbnail or clip chunk, which the plaintext baseline keeps. */
export function itemHeaderBytes(kind: 'thumbnail' | 'chunk'): number {
  return itemHeaderLength(kind === 'chunk' ? Kind.ClipChunk : Kind.Thumbnail);
}
