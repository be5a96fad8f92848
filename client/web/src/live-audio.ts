/**
 * A camera's live sound: AAC ADTS frames (codec 5, PROTOCOL.md §6.7) decoded with WebCodecs
 * `AudioDecoder` ('mp4a.40.2' without a description, i.e. ADTS) and played through Web Audio.
 * Silent until `unmute()` (called from a click: browsers start audio only on a user gesture); while
 * muted nothing is decoded. Each decoded block is scheduled at the time the video clock gives for
 * its capture time, so sound and picture of the same instant play together.
 */

const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/** Sample rate and channels from an ADTS header; null when the bytes are not one. */
export function adtsConfig(frame: Uint8Array): { sampleRate: number; numberOfChannels: number } | null {
  if (frame.length < 7 || frame[0] !== 0xff || ((frame[1] as number) & 0xf6) !== 0xf0) return null;
  const sampleRate = ADTS_RATES[((frame[2] as number) >> 2) & 0x0f];
  const numberOfChannels = (((frame[2] as number) & 1) << 2) | ((frame[3] as number) >> 6);
  if (sampleRate === undefined || numberOfChannels === 0) return null;
  return { sampleRate, numberOfChannels };
}

/** Blocks closer than this to the end of the previous one join it (no click, no gap). */
const JOIN_SECONDS = 0.04;

export class LiveAudio {
  private context: AudioContext | undefined;
  private decoder: AudioDecoder | undefined;
  private configured: string | undefined;
  private nextStart = 0;
  private muted = true;
  /** AAC frames decoded and scheduled since the last unmute (for tests and diagnostics). */
  decoded = 0;

  /**
   * @param clock performance.now() time at which a capture time (µs) is shown, from the video;
   *   undefined until a picture was shown (sound alone then plays as it comes).
   */
  constructor(
    private readonly clock: (capturedAtUs: number) => number | undefined,
    private readonly onPlayed: () => void = () => undefined,
  ) {}

  get isMuted(): boolean {
    return this.muted;
  }

  /** Must run inside a user gesture (click): creates or resumes the AudioContext. */
  unmute(): void {
    this.muted = false;
    this.decoded = 0;
    this.context ??= new AudioContext({ latencyHint: 'interactive' });
    void this.context.resume();
  }

  mute(): void {
    this.muted = true;
    this.closeDecoder();
    void this.context?.suspend();
  }

  push(frame: Uint8Array, capturedAtUs: number): void {
    if (this.muted || !this.context || typeof AudioDecoder !== 'function') return;
    const config = adtsConfig(frame);
    if (!config) return;
    const key = `${config.sampleRate}/${config.numberOfChannels}`;
    if (!this.decoder || this.decoder.state === 'closed' || this.configured !== key) {
      this.closeDecoder();
      const decoder = new AudioDecoder({
        output: (data) => this.play(data),
        error: () => {
          // The next frame configures a fresh decoder (AAC frames decode on their own).
          if (this.decoder === decoder) this.decoder = undefined;
        },
      });
      decoder.configure({ codec: 'mp4a.40.2', ...config });
      this.decoder = decoder;
      this.configured = key;
    }
    try {
      this.decoder.decode(
        new EncodedAudioChunk({
          type: 'key',
          timestamp: capturedAtUs,
          data: frame as Uint8Array<ArrayBuffer>,
        }),
      );
    } catch {
      this.closeDecoder(); // failed in between: the next frame starts a fresh one
    }
  }

  private play(data: AudioData): void {
    const context = this.context;
    try {
      if (!context || this.muted) return;
      const buffer = context.createBuffer(data.numberOfChannels, data.numberOfFrames, data.sampleRate);
      for (let channel = 0; channel < data.numberOfChannels; channel++) {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: channel, format: 'f32-planar' });
        buffer.copyToChannel(samples, channel);
      }
      const shownAt = this.clock(data.timestamp);
      const target =
        shownAt === undefined
          ? context.currentTime
          : context.currentTime + (shownAt - performance.now()) / 1000 - (context.outputLatency || 0);
      // Contiguous when close to the previous block's end; never in the past.
      let start = Math.abs(target - this.nextStart) < JOIN_SECONDS ? this.nextStart : target;
      if (start < context.currentTime) start = Math.max(context.currentTime, this.nextStart);
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      source.start(start);
      this.nextStart = start + buffer.duration;
      this.decoded += 1;
      this.onPlayed();
    } finally {
      data.close();
    }
  }

  private closeDecoder(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
    this.configured = undefined;
  }

  close(): void {
    this.muted = true;
    this.closeDecoder();
    void this.context?.close();
    this.context = undefined;
  }
}
