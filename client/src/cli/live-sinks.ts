import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { Codec } from '@sealcam/protocol';
import type { LiveFrame } from '../sdk/index.js';
import { LiveMp4Writer } from './live-mp4.js';
import { LiveOutputError } from './live-output-error.js';
import { RawStreamWriter } from './live-raw.js';

/** Where `live` puts the verified frames. */
export type LiveOutput =
  | { readonly kind: 'stats' }
  | { readonly kind: 'directory'; readonly path: string }
  | { readonly kind: 'mp4'; readonly path: string }
  | { readonly kind: 'stdout' };

/** Takes verified frames as they come; a failure (reported once through `fail`) ends the session. */
export interface FrameSink {
  add(frame: LiveFrame): void;
  /** Finishes the output; resolves to what was written, e.g. "15 verified frames written to out". */
  close(verified: number): Promise<string>;
}

export type SinkFailure = (error: Error) => void;

/** Whether an output is a file ending in .mp4 (rather than a directory of frames). */
export const isMp4Path = (path: string): boolean => /\.mp4$/i.test(path);

export function openSink(output: LiveOutput, fail: SinkFailure): FrameSink | undefined {
  switch (output.kind) {
    case 'stats':
      return undefined;
    case 'directory':
      return directorySink(output.path, fail);
    case 'mp4':
      return mp4Sink(output.path, fail);
    case 'stdout':
      return stdoutSink(fail);
  }
}

const EXTENSIONS: Record<number, string> = {
  [Codec.Jpeg]: 'jpg',
  [Codec.H264AnnexB]: 'h264',
  [Codec.H265AnnexB]: 'h265',
  [Codec.AacAdts]: 'aac',
};

/** One file per verified frame: frame-<n>-e<epoch>-c<counter>.<jpg|h264|aac>. */
function directorySink(directory: string, fail: SinkFailure): FrameSink {
  let index = 0;
  let written = 0;
  let writes: Promise<void> = Promise.resolve();
  return {
    add(frame) {
      index++;
      const name = `frame-${String(index).padStart(6, '0')}-e${frame.epoch}-c${frame.counter}.${EXTENSIONS[frame.codec] ?? 'bin'}`;
      const copy = Buffer.from(frame.data);
      const first = index === 1;
      writes = writes.then(() =>
        (first ? mkdir(directory, { recursive: true }) : Promise.resolve(undefined))
          .then(() => writeFile(join(directory, name), copy))
          .then(() => {
            written++;
          })
          .catch((error: Error) =>
            fail(new LiveOutputError('WRITE', `cannot write frames to ${directory}: ${error.message}`)),
          ),
      );
    },
    async close(verified) {
      await writes;
      return written === verified
        ? `${verified} verified frames written to ${directory}`
        : `${verified} verified frames, ${written} written to ${directory}`;
    },
  };
}

/** The file of MP4 segment `n`: out.mp4, then out-2.mp4, out-3.mp4… after each stream change. */
export function segmentPath(path: string, segment: number): string {
  return segment <= 1 ? path : path.replace(/(\.mp4)$/i, `-${segment}$1`);
}

/**
 * A fragmented MP4 written as the frames come (H.264 cameras; audio too if the camera sends it).
 * When the camera's stream changes (new resolution or codec parameters), the file is finished and the
 * stream goes on in out-2.mp4 (and so on), said on stderr.
 */
function mp4Sink(path: string, fail: SinkFailure): FrameSink {
  const writer = new LiveMp4Writer(
    (segment) => {
      const target = segmentPath(path, segment);
      mkdirSync(dirname(target), { recursive: true });
      const file = createWriteStream(target);
      file.on('error', (error) =>
        fail(new LiveOutputError('WRITE', `cannot write ${target}: ${error.message}`)),
      );
      return Writable.toWeb(file) as WritableStream<Uint8Array>;
    },
    {
      onSegment: (segment, change) =>
        console.error(
          `viewer: the camera's stream changed (${change}): ${segmentPath(path, segment - 1)} is finished, continuing in ${segmentPath(path, segment)}`,
        ),
    },
  );
  return {
    add(frame) {
      writer.add(frame).catch(fail);
    },
    async close(verified) {
      const summary = await writer.close();
      if (!summary.started)
        return `${verified} verified frames, no keyframe among them: nothing written to ${path}`;
      const parts = [`${summary.videoFrames} video`];
      if (summary.audioFrames > 0) parts.push(`${summary.audioFrames} audio`);
      if (summary.skippedBeforeKeyframe > 0)
        parts.push(`${summary.skippedBeforeKeyframe} before the first keyframe left out`);
      if (summary.audioLeftOut > 0) parts.push(`${summary.audioLeftOut} late-starting audio left out`);
      const files =
        summary.segments > 1
          ? `${path} … ${segmentPath(path, summary.segments)} (${summary.segments} files)`
          : path;
      return `${verified} verified frames (${parts.join(', ')}) written to ${files}`;
    },
  };
}

/** The raw video on stdout for `| ffplay -`; nothing else goes to stdout. */
function stdoutSink(fail: SinkFailure): FrameSink {
  const writer = new RawStreamWriter(process.stdout, fail);
  return {
    add(frame) {
      try {
        writer.add(frame);
      } catch (error) {
        fail(error as Error);
      }
    },
    async close(verified) {
      const summary = await writer.close();
      const parts = [`${summary.written} pictures`];
      if (summary.skippedBeforeKeyframe > 0)
        parts.push(`${summary.skippedBeforeKeyframe} before the first keyframe left out`);
      if (summary.audioLeftOut > 0) parts.push(`${summary.audioLeftOut} audio left out`);
      return `${verified} verified frames (${parts.join(', ')}) written to stdout`;
    },
  };
}
