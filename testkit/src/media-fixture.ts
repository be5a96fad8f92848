import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beepAudioSource, flashVideoSource } from './av-sync.js';
import { requireProgram } from './programs.js';

/**
 * Real camera bitstreams for tests, made by a real ffmpeg (libx264, AAC): the units a passthrough
 * camera delivers (PROTOCOL.md §6.7), with their presentation times, and the same content as a
 * fragmented MP4. Test support only: a start-code scan of ffmpeg's own output, not a depacketizer.
 */
export interface FixtureVideoUnit {
  /** One access unit, Annex B, starting with an access unit delimiter; SPS/PPS before every IDR. */
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** Presentation time from the start, microseconds. */
  readonly ptsUs: number;
}

export interface FixtureAudioUnit {
  /** One ADTS frame. */
  readonly data: Uint8Array;
  readonly ptsUs: number;
}

export interface MediaFixture {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** RFC 6381 / WebCodecs codec string from the SPS, e.g. "avc1.42c00d". */
  readonly codecString: string;
  readonly video: readonly FixtureVideoUnit[];
  readonly audio: readonly FixtureAudioUnit[];
  /** The same video (and audio) as one fragmented MP4 file (a fragment per keyframe). */
  readonly mp4: Uint8Array;
}

export interface MediaFixtureOptions {
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly seconds?: number;
  /** Frames between keyframes (default: one second's worth). */
  readonly gop?: number;
  /** A 440 Hz tone as AAC (default true). */
  readonly audio?: boolean;
  /**
   * 'testsrc2' (default): a test pattern with a frame counter (and the tone). 'flash-beep': a picture
   * that flashes white and a beep at the same instants (./av-sync), to measure A/V sync.
   */
  readonly pattern?: 'testsrc2' | 'flash-beep';
}

const cache = new Map<string, MediaFixture>();

/** Makes (once per set of options, per process) a test pattern with a frame counter. */
export function mediaFixture(options: MediaFixtureOptions = {}): MediaFixture {
  const { width = 320, height = 240, fps = 15, seconds = 3, audio = true, pattern = 'testsrc2' } = options;
  const gop = options.gop ?? fps;
  const key = JSON.stringify({ width, height, fps, seconds, gop, audio, pattern });
  const flash = pattern === 'flash-beep';
  const cached = cache.get(key);
  if (cached) return cached;
  requireProgram('ffmpeg');
  const dir = mkdtempSync(join(tmpdir(), 'sealcam-media-'));
  try {
    // biome-ignore format: option pairs read best one per line
    const video = [
      '-map', '0:v', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-threads', '1',
      '-bf', '0', '-g', String(gop), '-pix_fmt', 'yuv420p',
      '-x264-params', 'aud=1:repeat-headers=1',
    ];
    const sound = audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k'] : [];
    // biome-ignore format: option pairs read best one per line
    const inputs = [
      '-f', 'lavfi', '-t', String(seconds), '-i', flash ? flashVideoSource(width, height, fps) : `testsrc2=size=${width}x${height}:rate=${fps}`,
      ...(audio ? ['-f', 'lavfi', '-t', String(seconds), '-i', flash ? beepAudioSource(48000) : 'sine=frequency=440:sample_rate=48000'] : []),
    ];
    run([
      ...inputs,
      ...video,
      '-f',
      'h264',
      join(dir, 'video.h264'),
      ...(audio ? ['-map', '1:a', '-c:a', 'aac', '-b:a', '64k', '-f', 'adts', join(dir, 'audio.aac')] : []),
    ]);
    run([
      ...inputs,
      ...video,
      ...sound,
      '-movflags',
      'frag_keyframe+empty_moov+default_base_moof',
      '-f',
      'mp4',
      join(dir, 'clip.mp4'),
    ]);
    const units = splitAccessUnits(readFileSync(join(dir, 'video.h264')));
    const frameUs = 1_000_000 / fps;
    const fixture: MediaFixture = {
      width,
      height,
      fps,
      codecString: codecStringOf(units[0]!),
      video: units.map((data, index) => ({
        data,
        keyframe: hasIdr(data),
        ptsUs: Math.round(index * frameUs),
      })),
      audio: audio ? splitAdts(readFileSync(join(dir, 'audio.aac'))) : [],
      mp4: new Uint8Array(readFileSync(join(dir, 'clip.mp4'))),
    };
    cache.set(key, fixture);
    return fixture;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(args: string[]): void {
  const result = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
}

/** Offsets of the start codes (00 00 01, or 00 00 00 01) and the NAL unit type after each. */
function nalUnits(bytes: Uint8Array): { start: number; type: number }[] {
  const found: { start: number; type: number }[] = [];
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0 && bytes[i + 1] === 0 && bytes[i + 2] === 1) {
      const start = i > 0 && bytes[i - 1] === 0 ? i - 1 : i;
      found.push({ start, type: bytes[i + 3]! & 0x1f });
      i += 2;
    }
  }
  return found;
}

const AUD = 9;
const IDR = 5;
const SPS = 7;

/** Access units of an Annex B stream written with access unit delimiters (x264 aud=1). */
function splitAccessUnits(bytes: Uint8Array): Uint8Array[] {
  const starts = nalUnits(bytes)
    .filter((nal) => nal.type === AUD)
    .map((nal) => nal.start);
  if (starts.length === 0) throw new Error('the fixture has no access unit delimiters');
  return starts.map(
    (start, index) => new Uint8Array(bytes.subarray(start, starts[index + 1] ?? bytes.length)),
  );
}

function hasIdr(unit: Uint8Array): boolean {
  return nalUnits(unit).some((nal) => nal.type === IDR);
}

/** "avc1." + profile_idc, constraint flags and level_idc of the first SPS, in hex. */
function codecStringOf(unit: Uint8Array): string {
  const sps = nalUnits(unit).find((nal) => nal.type === SPS);
  if (!sps) throw new Error('the first access unit has no SPS');
  const header = unit[sps.start + 2] === 1 ? sps.start + 3 : sps.start + 4;
  const hex = (value: number) => value.toString(16).padStart(2, '0');
  return `avc1.${hex(unit[header + 1]!)}${hex(unit[header + 2]!)}${hex(unit[header + 3]!)}`;
}

/** ADTS frames (each header says its length), timed by 1024 samples at the header's sample rate. */
function splitAdts(bytes: Uint8Array): FixtureAudioUnit[] {
  const rates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
  const frames: FixtureAudioUnit[] = [];
  for (let offset = 0, index = 0; offset + 7 <= bytes.length; index++) {
    if (bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xf0) !== 0xf0) throw new Error('lost ADTS sync');
    const rate = rates[(bytes[offset + 2]! >> 2) & 0x0f] ?? 48000;
    const length =
      ((bytes[offset + 3]! & 0x03) << 11) | (bytes[offset + 4]! << 3) | (bytes[offset + 5]! >> 5);
    frames.push({
      data: new Uint8Array(bytes.subarray(offset, offset + length)),
      ptsUs: Math.round((index * 1024 * 1_000_000) / rate),
    });
    offset += length;
  }
  return frames;
}

/**
 * Splits an MP4 into chunks of whole top-level boxes of about `targetBytes` each (the first starts
 * with ftyp): how an agent's clip chunks lie (PROTOCOL.md §7.14).
 */
export function mp4Chunks(mp4: Uint8Array, targetBytes: number): Uint8Array[] {
  const view = new DataView(mp4.buffer, mp4.byteOffset, mp4.byteLength);
  const chunks: Uint8Array[] = [];
  let chunkStart = 0;
  for (let offset = 0; offset < mp4.length; ) {
    const size = view.getUint32(offset);
    if (size < 8) throw new Error('the fixture uses box sizes this splitter does not read');
    offset += size;
    if (offset - chunkStart >= targetBytes || offset >= mp4.length) {
      chunks.push(mp4.subarray(chunkStart, offset));
      chunkStart = offset;
    }
  }
  return chunks;
}
