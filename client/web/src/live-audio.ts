/**
 * A camera's live sound: AAC ADTS frames (codec 5, PROTOCOL.md §6.7) decoded with WebCodecs
 * `AudioDecoder` ('mp4a.40.2' without a description, i.e. ADTS) and played through Web Audio.
 * Silent until `unmute()` (called from a click: browsers start audio only on a user gesture); while
 * muted nothing is decoded. Each decoded block is scheduled at the time the video clock gives for
 * its capture time (the last drawn picture's capture time ↔ when it was drawn, LiveVideo), so sound
 * and picture of the same instant play together; a bounded jitter buffer (audioStartTime) joins
 * blocks without clicks and drops a block that would play too late for its picture or too far ahead.
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
export const JOIN_SECONDS = 0.04;
/**
 * A block may start at most this much after the time its picture is shown (sound late behind the
 * picture; within what viewers do not notice, ITU-R BT.1359's 125 ms). A later one is dropped, so
 * the sound catches up with the picture instead of staying behind it.
 */
export const MAX_LATE_SECONDS = 0.12;
/** The jitter buffer's bound: a block is scheduled at most this far ahead, else dropped. */
export const MAX_AHEAD_SECONDS = 1;
/**
 * Sound dropped as late, in a row, after which late blocks play late instead: when the sound is
 * always that far behind (a Bluetooth output's latency, a camera whose audio lags its video) late
 * sound beats no sound.
 */
export const MAX_LATE_SILENCE_SECONDS = 1;

export interface AudioSlot {
  /** The audio clock now (AudioContext.currentTime), seconds. */
  readonly now: number;
  /** Where the previous block ends on the audio clock. */
  readonly nextStart: number;
  /**
   * When this block should start on the audio clock (its capture time on the video's presentation
   * clock, less the output latency); undefined when no picture was shown yet.
   */
  readonly target: number | undefined;
  /** Seconds of sound dropped as late since the last block that played (0 when none). */
  readonly lateSilence?: number;
}

/**
 * When to start a decoded block (audio clock, seconds), or null to drop it. Without a picture the
 * sound plays as it comes (joined to the previous block). With one: at its target, joined to the
 * previous block when that is within JOIN_SECONDS (no click); never in the past nor over the sound
 * already scheduled; dropped when it would start more than MAX_AHEAD_SECONDS ahead of now, or more
 * than MAX_LATE_SECONDS after its target (unless MAX_LATE_SILENCE_SECONDS of sound were just dropped
 * so: then it plays late).
 */
export function audioStartTime(slot: AudioSlot): number | null {
  const { now, nextStart, target, lateSilence = 0 } = slot;
  if (target === undefined) {
    const start = Math.max(now, nextStart);
    return start - now > MAX_AHEAD_SECONDS ? null : start;
  }
  if (target - now > MAX_AHEAD_SECONDS) return null;
  const joined = Math.abs(target - nextStart) < JOIN_SECONDS ? nextStart : target;
  // Never in the past, never over the sound already scheduled.
  const start = Math.max(joined, now, nextStart);
  return start - target > MAX_LATE_SECONDS && lateSilence < MAX_LATE_SILENCE_SECONDS ? null : start;
}

export class LiveAudio {
  private context: AudioContext | undefined;
  private decoder: AudioDecoder | undefined;
  private configured: string | undefined;
  private nextStart = 0;
  private muted = true;
  /** AAC frames decoded since the last unmute, played or dropped (for tests and diagnostics). */
  decoded = 0;
  /** Of those, the blocks dropped: too late for their picture, or too far ahead (audioStartTime). */
  dropped = 0;
  /** Seconds of sound dropped as late since a block last played. */
  private lateSilence = 0;

  /**
   * @param clock performance.now() time at which a capture time (µs) is shown, from the video;
   *   undefined until a picture was shown (sound alone then plays as it comes).
   */
  constructor(
    private readonly clock: (capturedAtUs: number) => number | undefined,
    private readonly onDecoded: () => void = () => undefined,
  ) {}

  get isMuted(): boolean {
    return this.muted;
  }

  /** Must run inside a user gesture (click): creates or resumes the AudioContext. */
  unmute(): void {
    this.muted = false;
    this.decoded = 0;
    this.dropped = 0;
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
      const now = context.currentTime;
      const target =
        shownAt === undefined
          ? undefined
          : now + (shownAt - performance.now()) / 1000 - (context.outputLatency || 0);
      const start = audioStartTime({ now, nextStart: this.nextStart, target, lateSilence: this.lateSilence });
      this.decoded += 1;
      if (start === null) {
        this.dropped += 1;
        if (target !== undefined && target < now) this.lateSilence += buffer.duration;
        this.onDecoded();
        return;
      }
      this.lateSilence = 0;
      const source = context.createBufferSource();
      source.buffer = buffer;
      source.connect(context.destination);
      source.start(start);
      this.nextStart = start + buffer.duration;
      this.onDecoded();
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
