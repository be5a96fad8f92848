import { isStreamId, STREAM_ID_RULE } from '@sealcam/protocol';
import type { JpegFrame, LumaImage } from '../camera/frame.js';
import { type CaptureOptions, captureOptions } from './capture-options.js';
import { MotionDetector, type MotionUpdate } from './detector.js';
import { type LumaSize, lumaOf } from './luma.js';
import { MotionOptionError } from './option-error.js';
import { PreRollBuffer } from './pre-roll-buffer.js';

/** Why an event was closed. */
export type CloseReason =
  /** Motion ended and the post-roll is complete. */
  | 'motion-ended'
  /** The clip reached maxEventSeconds; if motion goes on, the next frame starts a new event. */
  | 'max-duration'
  /** The next frame would have exceeded maxEventBytes; if motion goes on, it starts a new event. */
  | 'max-bytes'
  /** flush() or close() during the event. */
  | 'flush'
  /** A frame's capture time went backwards (a clock step): the event is cut where time was consistent. */
  | 'clock-step';

export interface CapturedEvent {
  readonly cameraId: string;
  /** capturedAt of the first motion frame (ms). */
  readonly start: number;
  /** capturedAt of the last motion frame (ms). */
  readonly end: number;
  /** capturedAt of the first and last frame of the clip (pre-roll and post-roll included). */
  readonly clipStart: number;
  readonly clipEnd: number;
  /** Peak changedFraction over the event's motion frames, 0 … 1. */
  readonly score: number;
  /** Pre-roll, event and post-roll frames in capture order (times non-decreasing). */
  readonly frames: readonly JpegFrame[];
  /** Sum of the frames' JPEG sizes. */
  readonly bytes: number;
  /** The frame with the peak score (the first one, on a tie). */
  readonly thumbnailSource: JpegFrame;
  readonly closedBy: CloseReason;
}

export interface CaptureStats {
  /** Frames accepted by push. */
  readonly frames: number;
  /** Frames analysed for motion. */
  readonly analysed: number;
  /** Frames kept without analysis because the decode backlog was too long. */
  readonly skipped: number;
  /** Frames whose luma could not be decoded (also not analysed; reported to onError). */
  readonly decodeErrors: number;
  readonly events: number;
  /** Frames pushed after close(). */
  readonly dropped: number;
}

export interface EventCaptureInit {
  readonly cameraId: string;
  readonly options?: Partial<CaptureOptions>;
  /** Called synchronously, in order, once per closed event. An exception goes to onError. */
  readonly onEvent: (event: CapturedEvent) => void;
  /** Decode failures and onEvent exceptions. Default: ignored. */
  readonly onError?: (error: Error) => void;
  /** The luma decoder (default lumaOf); tests inject slow or failing ones. */
  readonly luma?: (frame: JpegFrame, size: LumaSize) => Promise<LumaImage>;
}

interface OpenEvent {
  frames: JpegFrame[];
  bytes: number;
  readonly clipStart: number;
  /** First motion frame; undefined in a continuation (after max-duration/max-bytes) until motion. */
  start: number | undefined;
  lastMotionAt: number;
  peakScore: number;
  peakFrame: JpegFrame | undefined;
  /** The detector reported the end of motion: only the post-roll is still being collected. */
  motionOver: boolean;
}

/**
 * One camera's motion events: a pre-roll buffer, a MotionDetector, and the frames of the running event.
 *
 * Ordering: `push` is synchronous and only queues the frame. One worker loop takes frames from the
 * queue in order, awaits the luma decode (the only asynchronous step), then runs the detector and the
 * event logic synchronously. So frames reach clips in capture order however long each decode takes.
 * Backlog: when the worker takes a frame while more than `maxBacklog` frames wait behind it, that
 * frame is not decoded or analysed (the detector does not see it) but is still kept in the pre-roll
 * or the event, so a slow decoder reduces the analysis rate instead of building a queue. Events
 * start and end only on analysed frames; skipped frames count as neither motion nor stillness.
 *
 * Byte cap: a frame that would take the clip above `maxEventBytes` closes the event ('max-bytes')
 * rather than thinning it out; when motion is still going on, that frame starts a continuation event
 * without pre-roll (the previous clip ends just before it), so no frame is lost and every clip keeps
 * its full frame rate. `maxEventSeconds` works the same way ('max-duration'). A continuation that sees
 * no motion frame before the motion ends is dropped.
 *
 * Post-roll: the clip ends `postRollSeconds` after the last motion frame. The detector only declares
 * the end `endAfterSeconds` after that frame, so when endAfterSeconds > postRollSeconds the frames
 * already collected beyond the post-roll go back to the pre-roll buffer.
 * Motion during the detector's cooldown extends nothing and starts nothing.
 *
 * Times: a frame whose capturedAt is below the previous frame's (a clock step) closes the running
 * event ('clock-step'), clears the pre-roll and resets the detector, so clips never go back in time.
 */
export class EventCapture {
  readonly cameraId: string;
  readonly options: CaptureOptions;
  private readonly detector: MotionDetector;
  private readonly lumaSize: LumaSize;
  private readonly preRoll: PreRollBuffer;
  private readonly onEvent: (event: CapturedEvent) => void;
  private readonly onError: (error: Error) => void;
  private readonly luma: (frame: JpegFrame, size: LumaSize) => Promise<LumaImage>;
  private readonly queue: JpegFrame[] = [];
  private running = false;
  private worker: Promise<void> = Promise.resolve();
  private closed = false;
  private lastAt = Number.NEGATIVE_INFINITY;
  private event: OpenEvent | undefined;
  private readonly counts = { frames: 0, analysed: 0, skipped: 0, decodeErrors: 0, events: 0, dropped: 0 };

  constructor(init: EventCaptureInit) {
    if (!isStreamId(init.cameraId)) throw new MotionOptionError('cameraId', `must be ${STREAM_ID_RULE}`);
    this.cameraId = init.cameraId;
    this.options = captureOptions(init.options);
    this.detector = new MotionDetector(this.options.motion);
    this.lumaSize = { width: this.detector.options.width, height: this.detector.options.height };
    this.preRoll = new PreRollBuffer(this.options.preRollSeconds * 1000, this.options.preRollBytes);
    this.onEvent = init.onEvent;
    this.onError = init.onError ?? (() => {});
    this.luma = init.luma ?? lumaOf;
  }

  get stats(): CaptureStats {
    return { ...this.counts };
  }

  /** Whether an event is being recorded (frames queued but not yet processed are not considered). */
  get recording(): boolean {
    return this.event !== undefined;
  }

  /** Queues one frame (capture order). Never throws for a frame; after close() frames are dropped. */
  push(frame: JpegFrame): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    this.counts.frames++;
    this.queue.push(frame);
    if (!this.running) {
      this.running = true;
      this.worker = this.drain();
    }
  }

  /** Resolves once every queued frame (including ones pushed meanwhile) has been processed. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.worker;
  }

  /** Processes every queued frame, then closes a running event ('flush'), emitting it. */
  async flush(): Promise<void> {
    await this.whenIdle();
    if (this.event) this.closeEvent('flush');
  }

  /** Stops accepting frames, flushes, and releases the buffered frames. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.preRoll.clear();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const frame = this.queue.shift()!;
      let luma: LumaImage | undefined;
      if (this.queue.length > this.options.maxBacklog) {
        this.counts.skipped++;
      } else {
        try {
          luma = await this.luma(frame, this.lumaSize);
        } catch (error) {
          this.counts.decodeErrors++;
          this.report(error);
        }
      }
      try {
        this.process(frame, luma);
      } catch (error) {
        this.report(error);
      }
    }
    // No await between the loop's last check and this line, so push() never misses a stopped worker.
    this.running = false;
  }

  private process(frame: JpegFrame, luma: LumaImage | undefined): void {
    const at = frame.capturedAt;
    if (at < this.lastAt) {
      if (this.event) this.closeEvent('clock-step');
      this.preRoll.clear();
      this.detector.reset();
    }
    this.lastAt = at;
    let update: MotionUpdate | undefined;
    if (luma) {
      update = this.detector.push(luma, at);
      this.counts.analysed++;
    }
    this.consume(frame, update);
  }

  private consume(frame: JpegFrame, update: MotionUpdate | undefined): void {
    const { postRollSeconds, maxEventSeconds, maxEventBytes, preRollSeconds } = this.options;
    const at = frame.capturedAt;
    const size = frame.jpeg.length;
    // 1. Does this frame still belong to the running event?
    let continuation = false;
    const running = this.event;
    if (running) {
      const motionGoesOn = this.detector.state === 'active';
      if (running.motionOver && (update?.started || at > running.lastMotionAt + postRollSeconds * 1000)) {
        this.closeEvent('motion-ended');
      } else if (at - running.clipStart >= maxEventSeconds * 1000) {
        this.closeEvent('max-duration');
        continuation = motionGoesOn && !running.motionOver;
      } else if (running.bytes + size > maxEventBytes) {
        this.closeEvent('max-bytes');
        continuation = motionGoesOn && !running.motionOver;
      }
    }
    // 2. Keep the frame: in the event, in a new event, or in the pre-roll.
    let event = this.event;
    if (event) {
      event.frames.push(frame);
      event.bytes += size;
    } else if (update?.started || continuation) {
      const frames = update?.started ? this.preRoll.takeSince(at - preRollSeconds * 1000) : [];
      this.preRoll.clear();
      let bytes = size;
      for (const f of frames) bytes += f.jpeg.length;
      while (bytes > maxEventBytes && frames.length > 0) bytes -= frames.shift()!.jpeg.length;
      frames.push(frame);
      event = {
        frames,
        bytes,
        clipStart: frames[0]!.capturedAt,
        start: undefined,
        lastMotionAt: at,
        peakScore: -1,
        peakFrame: undefined,
        motionOver: false,
      };
      this.event = event;
    } else {
      this.preRoll.push(frame);
      return;
    }
    // 3. What the detector said about this frame. Motion counts only while the detector is active
    // (not in its cooldown).
    if (!update) return;
    if (update.motion && update.state === 'active') {
      event.start ??= at;
      event.lastMotionAt = at;
      if (update.changedFraction > event.peakScore) {
        event.peakScore = update.changedFraction;
        event.peakFrame = frame;
      }
    }
    if (update.ended) event.motionOver = true;
    if (event.motionOver && at >= event.lastMotionAt + postRollSeconds * 1000)
      this.closeEvent('motion-ended');
  }

  /** Emits the running event; with 'motion-ended', frames after the post-roll go back to the pre-roll. */
  private closeEvent(reason: CloseReason): void {
    const event = this.event;
    if (!event) return;
    this.event = undefined;
    let frames = event.frames;
    let bytes = event.bytes;
    if (reason === 'motion-ended' && event.start !== undefined) {
      const cutoff = event.lastMotionAt + this.options.postRollSeconds * 1000;
      let keep = frames.length;
      while (keep > 0 && frames[keep - 1]!.capturedAt > cutoff) keep--;
      if (keep < frames.length) {
        const tail = frames.slice(keep);
        frames = frames.slice(0, keep);
        for (const frame of tail) {
          bytes -= frame.jpeg.length;
          this.preRoll.push(frame);
        }
      }
    }
    if (event.start === undefined || event.peakFrame === undefined) {
      // A continuation without motion: nothing happened in it; its frames are not a clip.
      for (const frame of frames) this.preRoll.push(frame);
      return;
    }
    const captured: CapturedEvent = {
      cameraId: this.cameraId,
      start: event.start,
      end: event.lastMotionAt,
      clipStart: frames[0]!.capturedAt,
      clipEnd: frames[frames.length - 1]!.capturedAt,
      score: event.peakScore,
      frames,
      bytes,
      thumbnailSource: event.peakFrame,
      closedBy: reason,
    };
    this.counts.events++;
    try {
      this.onEvent(captured);
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    try {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // An onError that throws must not stop the worker.
    }
  }
}
