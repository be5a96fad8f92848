import {
  Codec,
  equalBytes,
  NAL_PPS,
  NAL_SPS,
  nalPositions,
  withoutReplacedParameterSets,
} from '@sealcam/protocol';
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
   * How much video (capture time, µs, from the frame after the first keyframe) to hold while waiting
   * for a first audio frame: the MP4's tracks are fixed when it starts. Audio that starts later is
   * left out.
   */
  readonly audioWaitUs?: number;
  /** Shortest fragment, seconds: a reader sees new pictures at most this late (default 1). */
  readonly fragmentSeconds?: number;
  /**
   * Called when the camera's stream changed at a keyframe (new SPS/PPS: resolution, profile; or a
   * new audio sample rate or channel count) and the frames go on in a new file, `segment` (2, 3, …),
   * before that file is opened.
   */
  readonly onSegment?: (segment: number, change: string) => void;
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
  /** Files opened: 1, or more when the camera's stream changed (each change starts a new file). */
  readonly segments: number;
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
 * first keyframe; times are the capture times, relative to it, on one timeline for both tracks (audio
 * and video of the same capture instant land at the same time). Each frame is written one frame late,
 * when the next gives its duration. `open(1)` is called when the first keyframe is known.
 *
 * An MP4 track's parameters (the avcC's SPS/PPS and picture size; the audio's sample rate and
 * channels) are fixed when the file starts. When a keyframe brings other SPS/PPS (the camera's
 * resolution or profile changed) or an audio frame another configuration, this file is finished
 * and the stream goes on in a new one, `open(2)`, `open(3)`…, each starting at that keyframe at time
 * 0: no frame is ever written into a track whose parameters do not describe it.
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
  /** The current file's video parameter sets and audio configuration, once known. */
  private videoParameters: Uint8Array | undefined;
  private audioParameters: string | undefined;
  private segment = 0;
  /** What changed since the current file began (said when the next file starts). */
  private readonly changes: string[] = [];
  private queue: Promise<void> = Promise.resolve();
  private failure: LiveOutputError | undefined;

  constructor(
    private readonly open: (segment: number) => WritableStream<Uint8Array>,
    private readonly options: LiveMp4Options = {},
  ) {}

  /**
   * Queues one frame. Rejects (and every later call with it) when the frame cannot go into the MP4:
   * a JPEG camera, another codec, a muxer or write failure.
   */
  add(frame: TimedFrame): Promise<void> {
    const data =
      frame.codec === Codec.H264AnnexB && frame.keyframe
        ? withoutReplacedParameterSets(frame.data)
        : frame.data;
    const copy: TimedFrame = { ...frame, data: data === frame.data ? new Uint8Array(data) : data };
    this.queue = this.queue.then(() => this.guarded(() => this.take(copy)));
    return this.queue;
  }

  /** Writes what is held and finishes the file (the last fragment, then the stream is closed). */
  close(): Promise<LiveMp4Summary> {
    const closing = this.queue.then(() => this.guarded(() => this.finish()));
    this.queue = closing.catch(() => undefined);
    return closing.then(() => ({ ...this.counts, started: this.segment > 0, segments: this.segment }));
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
    if (this.state !== 'waiting') {
      const change = audio
        ? this.audioChange(frame.data)
        : frame.keyframe
          ? this.videoChange(frame.data)
          : null;
      if (change !== null) await this.nextSegment(change, frame);
    }
    if (this.state === 'waiting') {
      if (audio) this.sawAudio = true;
      if (audio || !frame.keyframe) {
        this.counts.skippedBeforeKeyframe++;
        return;
      }
      this.baseUs = frame.capturedAtUs;
      this.videoParameters = parameterSets(frame.data);
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
      // Counted from the frame after the keyframe: the relay's cached keyframe may be seconds older
      // than the live frames that follow it (live on demand), and the wait is for those.
      const waitFromUs = this.pending[1]?.frame.capturedAtUs ?? frame.capturedAtUs;
      const waited = frame.capturedAtUs - waitFromUs >= (this.options.audioWaitUs ?? 1_000_000);
      if (this.sawAudio || waited) await this.start();
      return;
    }
    await this.write(unit);
  }

  /** What changed if this keyframe's SPS/PPS are not the current file's, else null. */
  private videoChange(keyframe: Uint8Array): string | null {
    const sets = parameterSets(keyframe);
    const current = this.videoParameters;
    if (sets.length === 0 || !current || equalBytes(sets, current)) return null;
    return 'new H.264 parameters (SPS/PPS)';
  }

  /** What changed if this audio frame's configuration is not the current file's audio track's, else null. */
  private audioChange(frame: Uint8Array): string | null {
    const config = adtsKey(frame);
    if (this.audioParameters === undefined || config === null || config === this.audioParameters) return null;
    return `new audio configuration (${config}, was ${this.audioParameters})`;
  }

  /** Finishes the current file and makes `frame` (a keyframe, or audio) wait for the next one. */
  private async nextSegment(change: string, frame: TimedFrame): Promise<void> {
    await this.finishSegment();
    this.state = 'waiting';
    this.sawAudio = frame.codec === Codec.AacAdts;
    this.output = undefined;
    this.video = undefined;
    this.audio = undefined;
    this.videoConfigured = false;
    this.audioConfigured = false;
    this.videoParameters = undefined;
    this.audioParameters = undefined;
    this.lastVideoDuration = DEFAULT_VIDEO_FRAME;
    this.changes.push(change);
  }

  private async start(): Promise<void> {
    const first = this.pending[0];
    if (!first) return;
    this.segment++;
    if (this.segment > 1) {
      const config = await h264DecoderConfig(first.frame.data);
      const picture = `now ${config.codedWidth}x${config.codedHeight} ${config.codec}`;
      this.options.onSegment?.(this.segment, [...this.changes.splice(0), picture].join('; '));
    }
    const output = new Output({
      format: new Mp4OutputFormat({
        fastStart: 'fragmented',
        minimumFragmentDuration: this.options.fragmentSeconds ?? 1,
      }),
      target: new AppendOnlyStreamTarget(this.open(this.segment)),
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
      this.audioParameters = adtsKey(unit.frame.data) ?? undefined;
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
    await this.finishSegment();
    this.state = 'closed';
  }

  /** Writes what is held and finalizes the current file (one that is still buffering is started first). */
  private async finishSegment(): Promise<void> {
    if (this.state === 'buffering') await this.start();
    if (this.state === 'running') {
      if (this.heldVideo) await this.writeVideo(this.heldVideo, this.lastVideoDuration);
      if (this.heldAudio) await this.writeAudio(this.heldAudio, this.audioFrameSeconds);
      this.heldVideo = undefined;
      this.heldAudio = undefined;
      await this.output!.finalize();
    }
  }
}

/**
 * The parameter sets in effect for an access unit's pictures: its last SPS and last PPS (a later one
 * replaces an earlier one, e.g. the session's stale SDP sets that the agent's ffmpeg puts in band
 * before the camera's own new ones), concatenated; empty when it has none.
 */
export function parameterSets(unit: Uint8Array): Uint8Array {
  const nals = nalPositions(unit);
  const last = [NAL_SPS, NAL_PPS].flatMap((type) => nals.filter((nal) => nal.type === type).slice(-1));
  const parts = last.map((nal) => unit.subarray(nal.payload, nal.end));
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** "48000 Hz, 1 ch" (and the AAC object type) from an ADTS header; null when it is not one. */
function adtsKey(frame: Uint8Array): string | null {
  if (frame.length < 7 || frame[0] !== 0xff || ((frame[1] ?? 0) & 0xf6) !== 0xf0) return null;
  const profile = ((frame[2] ?? 0) >> 6) + 1;
  const rate = ADTS_RATES[((frame[2] ?? 0) >> 2) & 0x0f];
  const channels = (((frame[2] ?? 0) & 1) << 2) | ((frame[3] ?? 0) >> 6);
  return `${rate ?? '?'} Hz, ${channels} ch, AAC object type ${profile}`;
}
