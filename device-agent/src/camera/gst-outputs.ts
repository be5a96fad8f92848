import { type AdtsFrame, AdtsSplitter } from './adts.js';
import type { CameraErrorReason } from './camera-error.js';
import { capsInt, GDP_DELTA_UNIT, type GdpBuffer, GdpParser } from './gdp-parser.js';
import { GST_AUDIO_FDS, GST_FD } from './gst-passthrough-args.js';
import { jpegSize } from './jpeg-size.js';

/** What a passthrough gst-launch's pipes deliver, each item with its own timestamp (no pairing). */
export interface GstOutputHandlers {
  /** The main stream's size, from its caps (before its first unit). */
  readonly onVideoCaps: (width: number | undefined, height: number | undefined) => void;
  readonly onUnit: (unit: { ptsNs: number; durationNs: number; keyframe: boolean; data: Buffer }) => void;
  readonly onAudio: (ptsUs: number, frame: AdtsFrame) => void;
  readonly onStill: (ptsSeconds: number, jpeg: Buffer, width: number, height: number) => void;
  /** The session cannot go on (pipe out of step, a codec no branch takes): restart or report. */
  readonly onFault: (reason: CameraErrorReason, message: string) => void;
  /** Worth saying once, the session goes on (audio in a codec the client does not take). */
  readonly onNotice: (message: string) => void;
}

export const UNSUPPORTED_HEVC =
  'the camera sends H.265 (HEVC); passthrough takes H.264 only (set mode "mjpeg" to re-encode it)';
const UNSUPPORTED_VIDEO =
  'the camera sends a video codec other than H.264 or H.265; passthrough takes H.264 only (set mode "mjpeg" to re-encode it)';
export const UNSUPPORTED_AUDIO =
  'the camera sends audio in a codec the GStreamer client does not take (it takes AAC as MPEG4-GENERIC, PCMU, PCMA): video only; client "ffmpeg" converts it';
/** A frame step when GStreamer gives neither a timestamp nor a duration (10 fps). */
const DEFAULT_STEP_NS = 100_000_000;
/** Samples per AAC frame. */
const AAC_FRAME_SAMPLES = 1024;

/**
 * Reads every pipe of a passthrough gst-launch (gst-passthrough-args.ts): GDP-framed units, stills
 * and audio, each with its own timestamp, and the pipes that say a stream has a codec no branch takes.
 */
export class GstOutputs {
  private readonly video: GdpParser;
  private readonly stills: GdpParser;
  private readonly audio = new Map<number, GdpParser>();
  /** The audio branch kept: the first to deliver (a second audio track is left out, as with ffmpeg). */
  private audioFd: number | null = null;
  private lastPtsNs: number | null = null;
  private stepNs = DEFAULT_STEP_NS;
  private noticed = false;
  /** Splits each audio buffer into its ADTS frames (aacparse gives whole frames: nothing is left over). */
  private readonly adts: AdtsSplitter;
  private readonly adtsFrames: AdtsFrame[] = [];
  private adtsError: string | null = null;

  constructor(
    private readonly handlers: GstOutputHandlers,
    maxUnitBytes: number,
  ) {
    const outOfStep = (message: string) => handlers.onFault('bad-stream', message);
    this.video = new GdpParser(
      {
        onBuffer: (buffer) => this.unit(buffer),
        onCaps: (caps) => {
          if (caps.startsWith('video/x-h264'))
            handlers.onVideoCaps(capsInt(caps, 'width'), capsInt(caps, 'height'));
        },
        onError: outOfStep,
      },
      maxUnitBytes,
    );
    this.stills = new GdpParser(
      { onBuffer: (buffer) => this.still(buffer), onError: (message) => outOfStep(`stills: ${message}`) },
      maxUnitBytes,
    );
    this.adts = new AdtsSplitter(
      (frame) => this.adtsFrames.push(frame),
      (message) => {
        this.adtsError = message;
      },
    );
    for (const fd of GST_AUDIO_FDS)
      this.audio.set(
        fd,
        new GdpParser({ onBuffer: (buffer) => this.audioBuffer(fd, buffer), onError: outOfStep }, 64 * 1024),
      );
  }

  reset(): void {
    for (const parser of [this.video, this.stills, ...this.audio.values()]) parser.reset();
    this.audioFd = null;
    this.lastPtsNs = null;
    this.stepNs = DEFAULT_STEP_NS;
    this.noticed = false;
    this.adts.reset();
    this.adtsFrames.length = 0;
    this.adtsError = null;
  }

  push(fd: number, chunk: Buffer): void {
    if (fd === GST_FD.video) this.video.push(chunk);
    else if (fd === GST_FD.stills) this.stills.push(chunk);
    else if (fd === GST_FD.hevc) this.handlers.onFault('unsupported-codec', UNSUPPORTED_HEVC);
    else if (fd === GST_FD.otherVideo) this.handlers.onFault('unsupported-codec', UNSUPPORTED_VIDEO);
    else if (fd === GST_FD.otherAudio) {
      if (!this.noticed) this.handlers.onNotice(UNSUPPORTED_AUDIO);
      this.noticed = true;
    } else this.audio.get(fd)?.push(chunk);
  }

  private unit(buffer: GdpBuffer): void {
    // A unit without a timestamp is one frame step after the last (the step seen between the last two).
    const ptsNs = buffer.ptsNs ?? (this.lastPtsNs === null ? 0 : this.lastPtsNs + this.stepNs);
    if (this.lastPtsNs !== null && ptsNs > this.lastPtsNs) this.stepNs = ptsNs - this.lastPtsNs;
    this.lastPtsNs = ptsNs;
    const keyframe = (buffer.flags & GDP_DELTA_UNIT) === 0;
    this.handlers.onUnit({
      ptsNs,
      durationNs: buffer.durationNs ?? this.stepNs,
      keyframe,
      data: buffer.payload,
    });
  }

  private still(buffer: GdpBuffer): void {
    if (buffer.ptsNs === null) return; // a still is only useful at its time
    const size = jpegSize(buffer.payload);
    if (!size) {
      this.handlers.onFault('bad-stream', 'stills: a still is not a JPEG');
      return;
    }
    this.handlers.onStill(buffer.ptsNs / 1e9, buffer.payload, size.width, size.height);
  }

  /** Each ADTS frame of the buffer, frame i at its timestamp + i frames of samples. */
  private audioBuffer(fd: number, buffer: GdpBuffer): void {
    this.audioFd ??= fd;
    if (fd !== this.audioFd || buffer.ptsNs === null) return;
    this.adtsFrames.length = 0;
    this.adts.push(buffer.payload);
    const error = this.adtsError ?? (this.adts.pending > 0 ? 'a buffer ends inside an ADTS frame' : null);
    if (error !== null) {
      this.handlers.onFault('bad-stream', `audio: ${error}`);
      return;
    }
    const ptsUs = buffer.ptsNs / 1000;
    for (let i = 0; i < this.adtsFrames.length; i++) {
      const frame = this.adtsFrames[i]!;
      const offsetUs = frame.sampleRate > 0 ? (i * AAC_FRAME_SAMPLES * 1e6) / frame.sampleRate : 0;
      this.handlers.onAudio(ptsUs + offsetUs, frame);
    }
  }
}
