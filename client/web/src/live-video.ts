import { CODEC_H264, CODEC_H265, codecName, codecStringOf, parameterSets } from './annex-b.js';
import { h } from './dom.js';
import { FramePainter } from './frame-painter.js';
import { LiveAudio } from './live-audio.js';

export const CODEC_AAC = 5;

/** The fields of the SDK's LiveFrame this player reads (a LiveFrame is one). */
export interface TimedFrame {
  readonly data: Uint8Array;
  readonly codec: number;
  readonly capturedAtUs: number | null;
  readonly keyframe: boolean;
  readonly epoch: number;
  readonly counter: number;
}

/** Why the player dropped everything up to the next keyframe. */
export type ResyncReason = 'gap' | 'decoder-error' | 'backlog';

export type LiveVideoState = 'waiting' | 'playing' | 'unsupported';

export interface LiveVideoOptions {
  /** Used in the sound button's accessible name. */
  readonly label: string;
  /** Called when something a tile shows changed: the first picture, state, audio seen. */
  readonly onChange?: () => void;
}

/** Frames waiting for the decoder beyond this (a slow machine): drop to the next keyframe. */
const MAX_BACKLOG = 45;
/** Frames kept while the browser answers whether it can decode the codec. */
const MAX_PENDING = 300;

/**
 * Live H.264 (or H.265 where the browser has it) with WebCodecs: verified access units in, pictures
 * on a canvas out. Configures a `VideoDecoder` from the first keyframe (codec string from its SPS,
 * no description: Annex B), decodes each unit at its capture time and draws each picture as soon as
 * it is decoded. Nothing is decoded before a keyframe; after a gap in the frame counters, a decoder
 * error or a backlog it waits for the next keyframe again; a keyframe with new parameter sets
 * reconfigures. A codec the browser cannot decode gets a plain message, never a black canvas.
 */
export class LiveVideo {
  readonly element: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly message: HTMLElement;
  private readonly soundButton: HTMLButtonElement;
  private readonly audio: LiveAudio;
  private readonly painter: FramePainter | undefined;
  private decoder: VideoDecoder | undefined;
  /** Parameter sets the decoder was configured with. */
  private configuredSets: Uint8Array | undefined;
  private awaitingKeyframe = true;
  /** Units held while isConfigSupported answers (from a keyframe on). */
  private pending: TimedFrame[] | undefined;
  private pendingSkips = false;
  /** Settles once the browser answered for the held units and they went to the decoder. */
  private configuring: Promise<void> = Promise.resolve();
  private last: { epoch: number; counter: number } | undefined;
  /** The newest picture drawn: its capture time and performance.now() when drawn. */
  private shown: { capturedAtUs: number; at: number } | undefined;
  private closed = false;
  /** Pictures drawn. */
  drawn = 0;
  /** Times the player dropped to the next keyframe, and the last reason. */
  resyncs = 0;
  lastResync: ResyncReason | undefined;
  state: LiveVideoState = 'waiting';
  /** Date.now() when the newest picture was drawn. */
  lastShownAt: number | undefined;
  hasAudio = false;

  constructor(private readonly options: LiveVideoOptions) {
    this.canvas = h('canvas', {
      class: 'live-canvas',
      'data-testid': 'live-canvas',
      'data-frames': '0',
      role: 'img',
      'aria-label': `Live picture: ${options.label}`,
      hidden: true,
    });
    const context2d = this.canvas.getContext('2d');
    this.painter = context2d
      ? new FramePainter(this.canvas, context2d, (timestampUs) => this.drawnAt(timestampUs))
      : undefined;
    this.message = h('p', {
      class: 'live-video-message',
      'data-testid': 'live-video-message',
      role: 'status',
      hidden: true,
    });
    this.soundButton = h(
      'button',
      {
        type: 'button',
        class: 'live-sound',
        'data-testid': 'live-sound',
        'aria-pressed': 'false',
        'aria-label': `Sound: ${options.label}`,
        'data-decoded': '0',
        hidden: true,
      },
      'Sound off',
    );
    this.soundButton.addEventListener('click', () => this.toggleSound());
    this.audio = new LiveAudio(
      (capturedAtUs) =>
        this.shown ? this.shown.at + (capturedAtUs - this.shown.capturedAtUs) / 1000 : undefined,
      () => {
        this.soundButton.dataset.decoded = String(this.audio.decoded);
        this.soundButton.dataset.dropped = String(this.audio.dropped);
      },
    );
    this.element = h(
      'div',
      { class: 'live-video', 'data-state': 'waiting' },
      this.canvas,
      this.message,
      this.soundButton,
    );
  }

  /** Feeds one verified frame of the stream (video and audio alike, in counter order). */
  push(frame: TimedFrame): void {
    if (this.closed) return;
    const previous = this.last;
    this.last = { epoch: frame.epoch, counter: frame.counter };
    // Counters run 0, 1, 2, … per epoch (PROTOCOL.md §6.1): a new epoch starts again at 0.
    const gap =
      previous !== undefined &&
      (previous.epoch === frame.epoch ? frame.counter !== previous.counter + 1 : frame.counter !== 0);
    if (gap) this.resync('gap');
    if (frame.codec === CODEC_AAC) {
      this.pushAudio(frame);
      return;
    }
    if (frame.codec !== CODEC_H264 && frame.codec !== CODEC_H265) return;
    if (this.state === 'unsupported') return;
    if (this.pending) {
      // Held while the browser answers: after a gap, only from the next keyframe on.
      if (gap) this.pendingSkips = true;
      if (this.pendingSkips && !frame.keyframe) return;
      this.pendingSkips = false;
      if (this.pending.length < MAX_PENDING) this.pending.push(frame);
      return;
    }
    if (frame.keyframe) this.keyframe(frame);
    else if (!this.awaitingKeyframe) this.decode(frame);
  }

  private pushAudio(frame: TimedFrame): void {
    if (!this.hasAudio) {
      this.hasAudio = true;
      this.soundButton.hidden = typeof AudioDecoder !== 'function';
      this.options.onChange?.();
    }
    if (frame.capturedAtUs !== null) this.audio.push(frame.data, frame.capturedAtUs);
  }

  private keyframe(frame: TimedFrame): void {
    const sets = parameterSets(frame.data, frame.codec);
    const same =
      this.decoder?.state === 'configured' &&
      this.configuredSets !== undefined &&
      (sets.length === 0 || equal(sets, this.configuredSets));
    if (same) {
      this.awaitingKeyframe = false;
      this.decode(frame);
      return;
    }
    const codec = codecStringOf(frame.data, frame.codec);
    if (!codec) return; // a keyframe without its SPS cannot start a decoder: wait for the next
    if (typeof VideoDecoder !== 'function') {
      this.unsupported(frame.codec, codec, 'no-webcodecs');
      return;
    }
    const config: VideoDecoderConfig = { codec, optimizeForLatency: true };
    this.pending = [frame];
    this.pendingSkips = false;
    this.configuring = VideoDecoder.isConfigSupported(config).then(
      (support) => this.configure(support.supported === true, config, sets, frame.codec),
      () => this.configure(false, config, sets, frame.codec),
    );
  }

  private configure(supported: boolean, config: VideoDecoderConfig, sets: Uint8Array, codec: number): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    if (this.closed) return;
    if (!supported) {
      this.unsupported(codec, config.codec, 'codec');
      return;
    }
    if (!this.decoder || this.decoder.state === 'closed') {
      const decoder = new VideoDecoder({
        output: (picture) => {
          if (this.painter) this.painter.paint(picture);
          else picture.close();
        },
        error: () => {
          if (this.decoder === decoder) {
            this.decoder = undefined;
            this.resync('decoder-error');
          }
        },
      });
      this.decoder = decoder;
    }
    // configure() is queued after the units already given, so pictures before a change still show.
    this.decoder.configure(config);
    this.configuredSets = sets;
    this.awaitingKeyframe = false;
    this.element.dataset.codec = config.codec;
    for (const [index, frame] of held.entries()) {
      if (this.awaitingKeyframe && !frame.keyframe) continue;
      if (frame.keyframe && index > 0) this.keyframe(frame);
      else this.decode(frame);
      const holding = this.pending as TimedFrame[] | undefined;
      if (holding) {
        // Another reconfiguration started: it holds the rest.
        holding.push(...held.slice(index + 1));
        return;
      }
    }
  }

  private decode(frame: TimedFrame): void {
    const decoder = this.decoder;
    if (decoder?.state !== 'configured') {
      this.resync('decoder-error');
      return;
    }
    if (decoder.decodeQueueSize > MAX_BACKLOG) {
      this.resync('backlog');
      return;
    }
    try {
      decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? 'key' : 'delta',
          timestamp: frame.capturedAtUs ?? 0,
          data: frame.data as Uint8Array<ArrayBuffer>,
        }),
      );
    } catch {
      this.decoder = undefined;
      if ((decoder.state as CodecState) !== 'closed') decoder.close();
      this.resync('decoder-error');
    }
  }

  /** A picture is on the canvas (the painter drew it). */
  private drawnAt(timestampUs: number): void {
    if (this.closed) return;
    this.shown = { capturedAtUs: timestampUs, at: performance.now() };
    this.lastShownAt = Date.now();
    this.drawn += 1;
    this.canvas.dataset.frames = String(this.drawn);
    if (this.state !== 'playing') {
      this.canvas.hidden = false;
      this.setState('playing');
    }
  }

  /** Drops everything up to the next keyframe (which then decodes on its own). */
  private resync(reason: ResyncReason): void {
    if (this.awaitingKeyframe && reason === 'gap') return;
    this.awaitingKeyframe = true;
    this.resyncs += 1;
    this.lastResync = reason;
    this.element.dataset.resyncs = String(this.resyncs);
    this.element.dataset.lastResync = reason;
    if (reason !== 'gap' && this.decoder && this.decoder.state !== 'closed') {
      // A backlog or a broken decoder: what is queued is stale or lost; start clean.
      this.decoder.close();
      this.decoder = undefined;
    }
    if (!this.decoder) this.configuredSets = undefined;
  }

  private unsupported(codec: number, codecString: string, why: 'codec' | 'no-webcodecs'): void {
    this.decoder?.close();
    this.decoder = undefined;
    this.canvas.hidden = true;
    this.message.hidden = false;
    this.message.dataset.codec = codecString;
    this.message.textContent =
      why === 'no-webcodecs'
        ? `This camera sends ${codecName(codec)} video, which this browser cannot play (it has no WebCodecs). Use a current Chrome, Edge, Firefox or Safari.`
        : codec === CODEC_H265
          ? 'This camera sends H.265, which this browser cannot play. Switch the camera to H.264 in its settings, or watch in a browser that plays H.265 (Safari, or Chrome or Edge with hardware decoding).'
          : `This camera sends ${codecName(codec)} video in a form this browser cannot play (${codecString}). Try another browser, or set the camera to H.264 Main or High profile.`;
    this.setState('unsupported');
  }

  private setState(state: LiveVideoState): void {
    this.state = state;
    this.element.dataset.state = state;
    this.options.onChange?.();
  }

  private toggleSound(): void {
    if (this.audio.isMuted) this.audio.unmute();
    else this.audio.mute();
    const on = !this.audio.isMuted;
    this.soundButton.dataset.decoded = String(this.audio.decoded);
    this.soundButton.setAttribute('aria-pressed', String(on));
    this.soundButton.textContent = on ? 'Sound on' : 'Sound off';
  }

  /** Milliseconds since the newest picture was drawn; undefined before the first. */
  age(now: number): number | undefined {
    return this.lastShownAt === undefined ? undefined : Math.max(0, now - this.lastShownAt);
  }

  /**
   * Waits until every unit given so far is decoded and drawn (the end of a stream). A decoder wants
   * a keyframe after a flush (WebCodecs), so decoding resumes at the next keyframe.
   */
  async flush(): Promise<void> {
    await this.configuring;
    if (this.decoder?.state !== 'configured') return;
    this.awaitingKeyframe = true;
    // A decoding error rejects the flush too; the error callback already resynced.
    await this.decoder.flush().catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = undefined;
    this.painter?.close();
    this.audio.close();
    this.element.remove();
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
