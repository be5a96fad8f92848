import { CLIP_MP4_TYPE, Codec, checkMp4ClipChunk, LIMITS } from '@sealcam/protocol';
import {
  BufferTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  Output,
} from 'mediabunny';
import type { AudioUnit, VideoUnit } from '../camera/frame.js';
import type { MediaUnit } from './gop-pre-roll.js';
import { checkNumber, withDefaults } from './option-error.js';

export interface Mp4ClipOptions {
  /** Target plaintext size of one chunk; a fragment larger than this gets a chunk of its own. */
  readonly budgetBytes: number;
}

export const DEFAULT_MP4_CLIP_OPTIONS: Mp4ClipOptions = { budgetBytes: 1024 * 1024 };

export interface Mp4Clip {
  /** Plaintext chunks in order (PROTOCOL.md §7.14): whole top-level boxes, chunk 0 starts with ftyp. */
  readonly chunks: Uint8Array[];
  /** For the event record: codec 2, 'video/mp4', the video samples in the chunks. */
  readonly clip: { readonly codec: number; readonly type: string; readonly frames: number };
  readonly bytes: number;
  /** Video samples left out because their fragment did not fit a chunk or the chunk count ran out. */
  readonly droppedFrames: number;
}

/** Audio frames per AAC access unit (AAC-LC): the duration of one ADTS frame is 1024 / sample rate. */
const AAC_FRAME_SAMPLES = 1024;

/**
 * Muxes a passthrough clip (units in capture order, the first a video keyframe) into a fragmented
 * MP4 with mediabunny, a fragment per GOP, and cuts it into clip chunks at box boundaries.
 *
 * The units stay Annex B: without a `decoderConfig.description`, mediabunny builds the avcC record
 * from the first keyframe's SPS/PPS and rewrites each sample to length-prefixed form, and strips the
 * ADTS headers into an AudioSpecificConfig — the muxer's own conversions, not ours. Sample times are
 * the units' capture times relative to the first video unit; audio before it is left out.
 *
 * Chunking uses the muxer's box callbacks (onMoov, onMoof) for where each fragment begins: chunk 0 is
 * ftyp + moov and as many fragments as fit `budgetBytes`, later chunks take whole fragments (moof +
 * mdat) the same way. A fragment above LIMITS.clipChunkBytes ends the clip there (the rest is
 * dropped and counted), as does LIMITS.clipChunks.
 */
export async function muxMp4Clip(
  units: readonly MediaUnit[],
  options?: Partial<Mp4ClipOptions>,
): Promise<Mp4Clip> {
  const { budgetBytes } = withDefaults(DEFAULT_MP4_CLIP_OPTIONS, options);
  checkNumber('budgetBytes', budgetBytes, { min: 1024, max: LIMITS.clipChunkBytes, integer: true });
  const first = units.findIndex((unit) => unit.kind === 'h264');
  const video = units.filter((unit): unit is VideoUnit => unit.kind === 'h264');
  if (first < 0 || !video[0]!.keyframe) throw new Error('a clip must start at a video keyframe');
  const audio = units.slice(first).filter((unit): unit is AudioUnit => unit.kind === 'aac');
  const originUs = video[0]!.capturedAtUs;

  const boundaries: number[] = [];
  const fragmentStarts: number[] = [];
  const target = new BufferTarget();
  const output = new Output({
    format: new Mp4OutputFormat({
      fastStart: 'fragmented',
      // A fragment per GOP: the muxer starts one only where every track can begin with a key sample
      // (audio samples always are), once this much has passed since the fragment began.
      minimumFragmentDuration: minimumFragmentSeconds(video),
      onMoov: (_data, position) => boundaries.push(position),
      onMoof: (_data, position, timestamp) => {
        boundaries.push(position);
        fragmentStarts.push(timestamp);
      },
    }),
    target,
  });
  const videoSource = new EncodedVideoPacketSource('avc');
  output.addVideoTrack(videoSource);
  const audioSource = audio.length > 0 ? new EncodedAudioPacketSource('aac') : null;
  if (audioSource) output.addAudioTrack(audioSource);
  await output.start();

  const seconds = (us: number) => Math.max(0, us - originUs) / 1e6;
  const videoDurations = video.map((unit, index) => {
    const next = video[index + 1] ?? null;
    const previous = video[index - 1] ?? null;
    if (next) return Math.max(0, next.capturedAtUs - unit.capturedAtUs) / 1e6;
    return previous ? Math.max(0, unit.capturedAtUs - previous.capturedAtUs) / 1e6 : 0;
  });
  let videoIndex = 0;
  let audioIndex = 0;
  // In capture order, so the muxer can interleave the tracks into each fragment.
  for (const unit of units.slice(first)) {
    if (unit.kind === 'h264') {
      const packet = new EncodedPacket(
        unit.data,
        unit.keyframe ? 'key' : 'delta',
        seconds(unit.capturedAtUs),
        videoDurations[videoIndex]!,
      );
      await videoSource.add(
        packet,
        videoIndex === 0
          ? { decoderConfig: { codec: unit.codecString, codedWidth: unit.width, codedHeight: unit.height } }
          : undefined,
      );
      videoIndex++;
    } else if (audioSource) {
      const packet = new EncodedPacket(
        unit.data,
        'key',
        seconds(unit.capturedAtUs),
        AAC_FRAME_SAMPLES / unit.sampleRate,
      );
      await audioSource.add(
        packet,
        audioIndex === 0
          ? {
              decoderConfig: {
                codec: 'mp4a.40.2',
                sampleRate: unit.sampleRate,
                numberOfChannels: unit.channels,
              },
            }
          : undefined,
      );
      audioIndex++;
    }
  }
  await output.finalize();
  const file = new Uint8Array(target.buffer!);
  const counts = fragmentStarts.map(() => 0);
  for (const unit of video) {
    const at = seconds(unit.capturedAtUs);
    let index = 0;
    while (index + 1 < fragmentStarts.length && fragmentStarts[index + 1]! <= at) index++;
    counts[index]!++;
  }
  return cutIntoChunks(file, boundaries, budgetBytes, counts);
}

/** Just below the shortest GOP, so each GOP gets its own fragment (one fragment for a single GOP). */
function minimumFragmentSeconds(video: readonly VideoUnit[]): number {
  const keys = video.filter((unit) => unit.keyframe).map((unit) => unit.capturedAtUs);
  let shortest = Number.POSITIVE_INFINITY;
  for (let i = 1; i < keys.length; i++) shortest = Math.min(shortest, keys[i]! - keys[i - 1]!);
  return Number.isFinite(shortest) ? (shortest * 0.9) / 1e6 : 3600;
}

function cutIntoChunks(
  file: Uint8Array,
  boundaries: number[],
  budgetBytes: number,
  samples: number[],
): Mp4Clip {
  const starts = [...boundaries].sort((a, b) => a - b);
  // Pieces: [0, moov) = ftyp, then moov, then each fragment up to the next one (the last to the end).
  const pieces: Uint8Array[] = [];
  let previous = 0;
  for (const start of starts) {
    if (start > previous) pieces.push(file.subarray(previous, start));
    previous = start;
  }
  pieces.push(file.subarray(previous));
  const [ftyp, moov, ...fragments] = pieces;
  if (!ftyp || !moov) throw new Error('the muxer wrote no init segment');
  const chunks: Uint8Array[] = [];
  let pending: Uint8Array[] = [ftyp, moov];
  let pendingBytes = ftyp.length + moov.length;
  let frames = 0;
  let dropped = 0;
  let pendingFrames = 0;
  let pendingFragments = 0;
  const emit = () => {
    const chunk = concat(pending, pendingBytes);
    checkMp4ClipChunk(chunk, chunks.length === 0);
    chunks.push(chunk);
    frames += pendingFrames;
    pending = [];
    pendingBytes = 0;
    pendingFrames = 0;
    pendingFragments = 0;
  };
  let stopped = false;
  fragments.forEach((fragment, index) => {
    const count = samples[index] ?? 0;
    if (stopped) {
      dropped += count;
      return;
    }
    if (pendingBytes + fragment.length > budgetBytes && pendingFragments > 0) emit();
    if (pendingBytes + fragment.length > LIMITS.clipChunkBytes || chunks.length >= LIMITS.clipChunks) {
      stopped = true;
      dropped += count;
      return;
    }
    pending.push(fragment);
    pendingBytes += fragment.length;
    pendingFrames += count;
    pendingFragments++;
  });
  if (pending.length > 0) emit();
  const bytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  return {
    chunks,
    clip: { codec: Codec.H264AnnexB, type: CLIP_MP4_TYPE, frames },
    bytes,
    droppedFrames: dropped,
  };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
