import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { Codec } from '@sealcam/protocol';
import type { MediaFixture } from '@sealcam/testkit/media-fixture';
import { requireProgram } from '@sealcam/testkit/programs';
import type { TimedFrame } from '../../src/cli/live-mp4.js';

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  nb_read_frames?: string;
  duration?: string;
}

export interface Probe {
  streams: ProbedStream[];
  format: { duration?: string; format_name: string };
}

/** ffprobe's view of a media file, decoding every frame to count them (real ffprobe). */
export function probe(path: string): Probe {
  requireProgram('ffprobe', 'ffmpeg');
  const result = spawnSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-show_streams', '-show_format', '-of', 'json', path],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (result.status !== 0) throw new Error(`ffprobe failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Probe;
}

/**
 * Runs a real ffmpeg (`-hide_banner -nostdin -loglevel error`, then `-f format` if given, `-i input`,
 * then `output`), a string input being a path and bytes given on its standard input; killed after
 * 120 s. What it wrote to its standard output and error, and its exit code.
 */
function runFfmpeg(
  input: string | Uint8Array,
  format: string | undefined,
  output: string[],
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  requireProgram('ffmpeg');
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        ...(format ? ['-f', format] : []),
        '-i',
        typeof input === 'string' ? input : 'pipe:0',
        ...output,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (data: Buffer) => out.push(data));
    child.stderr.on('data', (data: Buffer) => {
      err += data.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(typeof input === 'string' ? undefined : Buffer.from(input));
  });
}

/** Decodes a stream given on ffmpeg's standard input (as `| ffplay -` would read it); frames decoded. */
export async function decodeFromPipe(bytes: Uint8Array, format?: string): Promise<number> {
  const { code, stdout, stderr } = await runFfmpeg(bytes, format, ['-f', 'framemd5', 'pipe:1']);
  if (code !== 0) throw new Error(`ffmpeg failed (${code}): ${stderr}`);
  return stdout
    .toString()
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('#')).length;
}

/**
 * The first picture ffmpeg decodes from a media file (a path) or from bytes given on its standard
 * input (e.g. one Annex B access unit, `format` 'h264'), as a PNG (real ffmpeg).
 */
export async function firstPicture(input: string | Uint8Array, format?: string): Promise<Buffer> {
  const { code, stdout, stderr } = await runFfmpeg(input, format, [
    '-frames:v',
    '1',
    '-f',
    'image2pipe',
    '-c:v',
    'png',
    'pipe:1',
  ]);
  if (code !== 0 || stdout.length === 0) throw new Error(`ffmpeg decoded no picture (${code}): ${stderr}`);
  return stdout;
}

/** Every video picture ffmpeg decodes from a media file, as packed RGB of the stream's size (real ffmpeg). */
export function decodedPictures(path: string): { width: number; height: number; pictures: Buffer[] } {
  const video = probe(path).streams.find((stream) => stream.codec_type === 'video');
  const { width, height } = video ?? {};
  if (!width || !height) throw new Error(`${path}: no video stream`);
  const result = spawnSync(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-i',
      path,
      '-map',
      '0:v:0',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { timeout: 120_000, maxBuffer: 512 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`ffmpeg failed (${result.status}): ${result.stderr}`);
  const size = width * height * 3;
  const pictures: Buffer[] = [];
  for (let at = 0; at + size <= result.stdout.length; at += size)
    pictures.push(result.stdout.subarray(at, at + size));
  return { width, height, pictures };
}

/** A file as the WritableStream the MP4 writer's target takes. */
export function fileStream(path: string): WritableStream<Uint8Array> {
  return Writable.toWeb(createWriteStream(path)) as WritableStream<Uint8Array>;
}

/** Capture time of the fixture's start, µs (any Unix time: only differences matter). */
export const FIXTURE_EPOCH_US = 1_760_000_000_000_000;

/** The fixture's video units from `from` on, with its audio from the same time, in capture order. */
export function liveFrames(
  fixture: MediaFixture,
  options: { from?: number; audio?: boolean } = {},
): TimedFrame[] {
  const from = options.from ?? 0;
  const video = fixture.video.slice(from);
  const startUs = video[0]?.ptsUs ?? 0;
  const frames: (TimedFrame & { at: number })[] = [
    ...video.map((unit) => ({
      codec: Codec.H264AnnexB,
      data: unit.data,
      keyframe: unit.keyframe,
      capturedAtUs: FIXTURE_EPOCH_US + unit.ptsUs,
      at: unit.ptsUs,
    })),
    ...(options.audio === false ? [] : fixture.audio)
      .filter((unit) => unit.ptsUs >= startUs)
      .map((unit) => ({
        codec: Codec.AacAdts,
        data: unit.data,
        keyframe: true,
        capturedAtUs: FIXTURE_EPOCH_US + unit.ptsUs,
        at: unit.ptsUs,
      })),
  ];
  return frames.sort((a, b) => a.at - b.at).map(({ at: _at, ...frame }) => frame);
}
