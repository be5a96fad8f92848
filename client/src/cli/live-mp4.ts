import { Codec } from '@sealcam/protocol';
import {
  AppendOnlyStreamTarget,
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  Output,
} from 'mediabunny';
import type { LiveFrame } from '../sdk/index.js';
import { aacDecoderConfig, h264DecoderConfig } from './decoder-config.js';
import { LiveOutputError } from './live-output-error.js';

/** What the MP4 writer needs of a verified live frame. */
export type TimedFrame = Pick<LiveFrame, 'codec' | 'data' | 'keyframe' | 'capturedAtUs'>;

export interface LiveMp4Options {
  /**
   * How much video (capture time, µs) to hold after the first keyframe while waiting for a first
   * audio frame: the MP4's tracks are fixed when it starts. Audio that starts later is left out.
   */
  readonly audioWaitUs?: number;
  /** Shortest fragment, seconds: a reader sees new pictures at most this late (default 1). */
  readonly fragmentSeconds?: number;
}

export interface LiveMp4Summary {
  readonly videoFrames: number;
  readonly audioFrames: number;
  /** Video before the first keyframe (undecodable) and audio before it. */
  readonly skippedBeforeKeyframe: number;
  /** Audio that came after the file had started without an audio track. */
  readonly audioLeftOut: number;
  /** Whether anything was written (false: no keyframe came, no file was opened). */
  readonly started: boolean;
}

interface Pending {
  readonly frame: TimedFrame;
  /** Seconds from the first keyframe's capture. */
  readonly time: number;
}

const DEFAULT_VIDEO_FRAME = 1 / 30;
const AAC_FRAME_SAMPLES = 1024;

/**
 * Writes verified live frames of an H.264 camera (with its AAC audio, if any) as a fragmented MP4,
 * as they arrive: mediabunny's muxer, Annex B and ADTS in, a moov first and then a fragment per
 * keyframe after at least `fragmentSeconds`, so players read the file while it grows. Starts at the
 * first keyframe; times are the capture times, relative to it. Each frame is written one frame late,
 * when the next gives its duration. `open` is called once, when the first keyframe is known.
 */
export class LiveMp4Writer {
  private state: 'waiting' | 'buffering' | 'running' | 'closed' = 'waiting';
  private baseUs = 0;
  private sawAudio = false;
  private readonly pending: Pending[] = [];
  private output: Output | undefined;
  private video: EncodedVideoPacketSource | undefined;
  private audio: EncodedAudioPacketSource | undefined;
  private heldVideo: Pending | undefined;
  private heldAudio: Pending | undefined;
  private lastVideoDuration = DEFAULT_VIDEO_FRAME;
  private audioFrameSeconds = AAC_FRAME_SAMPLES / 48_000;
  private videoConfigured = false;
  private audioConfigured = false;
  private counts = { videoFrames: 0, audioFrames: 0, skippedBeforeKeyframe: 0, audioLeftOut: 0 };
  private queue: Promise<void> = Promise.resolve();
  private failure: LiveOutputError | undefined;

  constructor(
    private readonly open: () => WritableStream<Uint8Array>,
    private readonly options: LiveMp4Options = {},
  ) {}

  /**
   * Queues one frame. Rejects (and every later call with it) when the frame cannot go into the MP4:
   * a JPEG camera, another codec, a muxer or write failure.
   */
  add(frame: TimedFrame): Promise<void> {
    const copy: TimedFrame = { ...frame, data: new Uint8Array(frame.data) };
    this.queue = this.queue.then(() => this.guarded(() => this.take(copy)));
    return this.queue;
  }

  /** Writes what is held and finishes the file (the last fragment, then the stream is closed). */
  close(): Promise<LiveMp4Summary> {
    const closing = this.queue.then(() => this.guarded(() => this.finish()));
    this.queue = closing.catch(() => undefined);
    return closing.then(() => ({ ...this.counts, started: this.output !== undefined }));
  }

  private async guarded(step: () => Promise<void>): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      await step();
    } catch (error) {
      this.failure =
        error instanceof LiveOutputError
          ? error
          : new LiveOutputError('MUXER', `the MP4 muxer refused the stream: ${(error as Error).message}`);
      await this.output?.cancel().catch(() => undefined);
      this.state = 'closed';
      throw this.failure;
    }
  }

  private async take(frame: TimedFrame): Promise<void> {
    if (this.state === 'closed') return;
    if (frame.codec === Codec.Jpeg)
      throw new LiveOutputError(
        'JPEG_CAMERA',
        'this camera sends JPEG pictures, not H.264: give --out a directory for the JPEGs',
      );
    if (frame.codec !== Codec.H264AnnexB && frame.codec !== Codec.AacAdts)
      throw new LiveOutputError(
        'UNSUPPORTED_CODEC',
        `an MP4 is written for H.264 cameras, not codec ${frame.codec}`,
      );
    if (frame.capturedAtUs === null)
      throw new LiveOutputError('NO_CAPTURE_TIME', 'a timed frame came without its capture time');
    const audio = frame.codec === Codec.AacAdts;
    if (this.state === 'waiting') {
      if (audio) this.sawAudio = true;
      if (audio || !frame.keyframe) {
        this.counts.skippedBeforeKeyframe++;
        return;
      }
      this.baseUs = frame.capturedAtUs;
      this.state = 'buffering';
    }
    const time = (frame.capturedAtUs - this.baseUs) / 1_000_000;
    if (time < 0) {
      this.counts.skippedBeforeKeyframe++;
      return;
    }
    const unit = { frame, time };
    if (this.state === 'buffering') {
      this.pending.push(unit);
      if (audio) this.sawAudio = true;
      const waited = frame.capturedAtUs - this.baseUs >= (this.options.audioWaitUs ?? 1_000_000);
      if (this.sawAudio || waited) await this.start();
      return;
    }
    await this.write(unit);
  }

  private async start(): Promise<void> {
    const first = this.pending[0];
    if (!first) return;
    const output = new Output({
      format: new Mp4OutputFormat({
        fastStart: 'fragmented',
        minimumFragmentDuration: this.options.fragmentSeconds ?? 1,
      }),
      target: new AppendOnlyStreamTarget(this.open()),
    });
    this.video = new EncodedVideoPacketSource('avc');
    output.addVideoTrack(this.video);
    const withAudio = this.sawAudio;
    if (withAudio) {
      this.audio = new EncodedAudioPacketSource('aac');
      output.addAudioTrack(this.audio);
    }
    this.output = output;
    await output.start();
    this.state = 'running';
    for (const unit of this.pending.splice(0)) await this.write(unit);
  }

  private async write(unit: Pending): Promise<void> {
    if (unit.frame.codec === Codec.AacAdts) {
      if (!this.audio) {
        this.counts.audioLeftOut++;
        return;
      }
      const held = this.heldAudio;
      this.heldAudio = unit;
      if (held) await this.writeAudio(held, Math.max(unit.time - held.time, 0));
      return;
    }
    const held = this.heldVideo;
    // Capture times that do not increase (a clock step) still need increasing timestamps.
    const time = held && unit.time <= held.time ? held.time + 0.001 : unit.time;
    this.heldVideo = { frame: unit.frame, time };
    if (held) {
      this.lastVideoDuration = time - held.time;
      await this.writeVideo(held, this.lastVideoDuration);
    }
  }

  private async writeVideo(unit: Pending, duration: number): Promise<void> {
    const video = this.video!;
    const packet = new EncodedPacket(
      unit.frame.data,
      unit.frame.keyframe ? 'key' : 'delta',
      unit.time,
      duration,
    );
    if (!this.videoConfigured) {
      this.videoConfigured = true;
      await video.add(packet, { decoderConfig: await h264DecoderConfig(unit.frame.data) });
    } else await video.add(packet);
    this.counts.videoFrames++;
  }

  private async writeAudio(unit: Pending, duration: number): Promise<void> {
    const audio = this.audio!;
    if (!this.audioConfigured) {
      this.audioConfigured = true;
      const decoderConfig = await aacDecoderConfig(unit.frame.data);
      this.audioFrameSeconds = AAC_FRAME_SAMPLES / decoderConfig.sampleRate;
      await audio.add(this.audioPacket(unit, duration), { decoderConfig });
    } else await audio.add(this.audioPacket(unit, duration));
    this.counts.audioFrames++;
  }

  private audioPacket(unit: Pending, duration: number): EncodedPacket {
    return new EncodedPacket(
      unit.frame.data,
      'key',
      unit.time,
      duration > 0 ? duration : this.audioFrameSeconds,
    );
  }

  private async finish(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'buffering') await this.start();
    if (this.state === 'running') {
      if (this.heldVideo) await this.writeVideo(this.heldVideo, this.lastVideoDuration);
      if (this.heldAudio) await this.writeAudio(this.heldAudio, this.audioFrameSeconds);
      this.heldVideo = undefined;
      this.heldAudio = undefined;
      await this.output!.finalize();
    }
    this.state = 'closed';
  }
}
