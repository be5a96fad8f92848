import { CLIP_CONTAINER_TYPE, Codec, clipChunkSize, encodeClipChunk, LIMITS } from '@sealcam/protocol';
import type { JpegFrame } from '../camera/frame.js';
import { checkNumber, withDefaults } from './option-error.js';

export interface ClipChunkOptions {
  /** Target plaintext size of one chunk; a single larger frame gets a chunk of its own. */
  readonly budgetBytes: number;
}

export const DEFAULT_CLIP_CHUNK_OPTIONS: ClipChunkOptions = { budgetBytes: 1024 * 1024 };

export interface DroppedFrame {
  readonly capturedAt: number;
  readonly bytes: number;
  readonly reason: 'frame larger than a clip chunk' | 'clip chunk limit reached';
}

export interface ClipChunks {
  /** Plaintext clip containers in order, ready for EventSealer.sealClipChunk. */
  readonly chunks: Uint8Array[];
  /** For the event record (`summary.clip`): codec 1 (JPEG), the container type, frames kept. */
  readonly clip: { readonly codec: number; readonly type: string; readonly frames: number };
  /** Sum of the chunks' sizes. */
  readonly bytes: number;
  readonly dropped: readonly DroppedFrame[];
}

/**
 * Splits frames (capture order, times non-decreasing) into clip containers of whole frames, each at
 * most `budgetBytes` — except a frame that alone exceeds the budget, which gets its own chunk. A frame
 * that would not fit even a chunk of 8 MiB, and every frame after the 512th chunk, is dropped and
 * listed with its reason. With no frame left there are no chunks (the event then has `clip: null`).
 */
export function splitIntoClipChunks(
  frames: readonly JpegFrame[],
  options?: Partial<ClipChunkOptions>,
): ClipChunks {
  const { budgetBytes } = withDefaults(DEFAULT_CLIP_CHUNK_OPTIONS, options);
  checkNumber('budgetBytes', budgetBytes, {
    min: clipChunkSize([1]),
    max: LIMITS.clipChunkBytes,
    integer: true,
  });
  const chunks: Uint8Array[] = [];
  const dropped: DroppedFrame[] = [];
  let pending: JpegFrame[] = [];
  let pendingSize = clipChunkSize([]);
  let kept = 0;
  let bytes = 0;
  const emit = () => {
    if (pending.length === 0) return;
    const chunk = encodeClipChunk(
      pending.map((frame) => ({ capturedAt: frame.capturedAt, image: frame.jpeg })),
    );
    chunks.push(chunk);
    bytes += chunk.length;
    kept += pending.length;
    pending = [];
    pendingSize = clipChunkSize([]);
  };
  for (const frame of frames) {
    const alone = clipChunkSize([frame.jpeg.length]);
    const added = alone - clipChunkSize([]);
    if (alone > LIMITS.clipChunkBytes) {
      dropped.push({
        capturedAt: frame.capturedAt,
        bytes: frame.jpeg.length,
        reason: 'frame larger than a clip chunk',
      });
      continue;
    }
    if (pending.length > 0 && pendingSize + added > budgetBytes) emit();
    if (chunks.length >= LIMITS.clipChunks) {
      dropped.push({
        capturedAt: frame.capturedAt,
        bytes: frame.jpeg.length,
        reason: 'clip chunk limit reached',
      });
      continue;
    }
    pending.push(frame);
    pendingSize += added;
  }
  emit();
  return { chunks, clip: { codec: Codec.Jpeg, type: CLIP_CONTAINER_TYPE, frames: kept }, bytes, dropped };
}
