import type { Writable } from 'node:stream';
import { Codec } from '@sealcam/protocol';
import type { LiveFrame } from '../sdk/index.js';
import { LiveOutputError } from './live-output-error.js';

export interface RawStreamSummary {
  /** Pictures written: H.264 access units or JPEGs. */
  readonly written: number;
  /** H.264 units before the first keyframe (undecodable on their own). */
  readonly skippedBeforeKeyframe: number;
  /** Audio units: a raw elementary stream holds video only. */
  readonly audioLeftOut: number;
}

/**
 * The camera's raw video for a player reading a pipe (`| ffplay -`): an H.264 camera's Annex B
 * access units back to back from the first keyframe (SPS/PPS are in band there), a JPEG camera's
 * pictures back to back (MJPEG). Audio is left out. Nothing but the stream is written to `out`.
 */
export class RawStreamWriter {
  private codec: number | undefined;
  private started = false;
  private counts = { written: 0, skippedBeforeKeyframe: 0, audioLeftOut: 0 };
  private failure: LiveOutputError | undefined;

  constructor(
    private readonly out: Writable,
    private readonly onFailure: (error: LiveOutputError) => void = () => undefined,
  ) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      this.fail(
        new LiveOutputError(
          'WRITE',
          error.code === 'EPIPE'
            ? 'the reader of the stream has gone'
            : `cannot write the stream: ${error.message}`,
        ),
      );
    });
  }

  /** Writes one frame, or throws LiveOutputError when the stream cannot go on (another codec). */
  add(frame: Pick<LiveFrame, 'codec' | 'data' | 'keyframe'>): void {
    if (this.failure) throw this.failure;
    if (frame.codec === Codec.AacAdts) {
      this.counts.audioLeftOut++;
      return;
    }
    if (frame.codec !== Codec.H264AnnexB && frame.codec !== Codec.Jpeg) {
      this.fail(
        new LiveOutputError('UNSUPPORTED_CODEC', `--stdout writes H.264 or JPEG, not codec ${frame.codec}`),
      );
      throw this.failure;
    }
    if (this.codec !== undefined && frame.codec !== this.codec) {
      this.fail(new LiveOutputError('UNSUPPORTED_CODEC', 'the camera changed codec mid-stream'));
      throw this.failure;
    }
    this.codec = frame.codec;
    if (frame.codec === Codec.H264AnnexB && !this.started && !frame.keyframe) {
      this.counts.skippedBeforeKeyframe++;
      return;
    }
    this.started = true;
    // Copied: the SDK may reuse the buffer once onFrame returns, and the stream holds it until written.
    this.out.write(Buffer.from(frame.data));
    this.counts.written++;
  }

  /** Ends the stream once everything queued is written. */
  close(): Promise<RawStreamSummary> {
    return new Promise((resolve, reject) => {
      if (this.failure) {
        reject(this.failure);
        return;
      }
      const done = () => (this.failure ? reject(this.failure) : resolve({ ...this.counts }));
      // process.stdout cannot be ended; waiting for an empty write flushes what is queued.
      this.out.write(Buffer.alloc(0), () => done());
    });
  }

  private fail(error: LiveOutputError): void {
    if (this.failure) return;
    this.failure = error;
    this.onFailure(error);
  }
}
