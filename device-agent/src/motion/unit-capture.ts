import { isStreamId, STREAM_ID_RULE } from '@sealcam/protocol';
import type { LumaImage, StillPicture } from '../camera/frame.js';
import { type CaptureOptions, captureOptions } from './capture-options.js';
import { MotionDetector, type MotionUpdate } from './detector.js';
import type { CloseReason } from './event-capture.js';
import { GopPreRoll, type MediaUnit } from './gop-pre-roll.js';
import { isLumaOfSize, type LumaSize, lumaOf } from './luma.js';
import { MotionOptionError } from './option-error.js';

/** A motion event of a passthrough camera: the units of its clip, starting at a keyframe. */
export interface CapturedUnitEvent {
  readonly cameraId: string;
  /** capturedAt of the first motion still (ms). */
  readonly start: number;
  /** capturedAt of the last motion still (ms). */
  readonly end: number;
  /** capturedAt of the clip's first and last unit. */
  readonly clipStart: number;
  readonly clipEnd: number;
  readonly score: number;
  /** Video and audio units in capture order; the first is a video keyframe. */
  readonly units: readonly MediaUnit[];
  /** How many of them are video units. */
  readonly videoUnits: number;
  /** Sum of the units' sizes. */
  readonly bytes: number;
  /** The still with the peak score (the first one, on a tie). */
  readonly thumbnailSource: StillPicture;
  readonly closedBy: CloseReason;
}

export interface UnitCaptureInit {
  readonly cameraId: string;
  readonly options?: Partial<CaptureOptions>;
  /** Called synchronously, in order, once per closed event. An exception goes to onError. */
  readonly onEvent: (event: CapturedUnitEvent) => void;
  readonly onError?: (error: Error) => void;
}

interface OpenEvent {
  units: MediaUnit[];
  bytes: number;
  videoUnits: number;
  /** Index in `units` of the newest video keyframe (where a split may cut). */
  lastKey: number;
  readonly clipStart: number;
  start: number | undefined;
  lastMotionAt: number;
  peakScore: number;
  peakStill: StillPicture | undefined;
  motionOver: boolean;
}

type Item = MediaUnit | StillPicture;

/**
 * Motion events of a passthrough camera (H.264 units, AAC units, and stills beside them). Motion is
 * decided by the same MotionDetector as for JPEG cameras, fed with the stills' luma (decoded from the
 * still's JPEG when the source gave none); the units are never decoded. Clips are cut from the units:
 * the pre-roll starts at a keyframe (whole GOPs), the clip runs until `postRollSeconds` after the last
 * motion still, and maxEventSeconds / maxEventBytes split an event at a keyframe: a continuation (while
 * motion goes on) starts with that keyframe's GOP, so no unit is lost and every clip decodes on its
 * own. A clip may therefore run past maxEventSeconds by at most one GOP, and two clips of one camera
 * may share the GOP that the second one's pre-roll starts with.
 *
 * Ordering works as in EventCapture: push only queues, and one worker handles items in order,
 * awaiting only a still's luma decode. A still that needs decoding, with more than `maxBacklog` stills
 * waiting behind it, is not analysed (one that comes with its luma always is).
 */
export class UnitCapture {
  readonly cameraId: string;
  readonly options: CaptureOptions;
  private readonly detector: MotionDetector;
  private readonly lumaSize: LumaSize;
  private readonly preRoll: GopPreRoll;
  private readonly onEvent: (event: CapturedUnitEvent) => void;
  private readonly onError: (error: Error) => void;
  private readonly queue: Item[] = [];
  private running = false;
  private worker: Promise<void> = Promise.resolve();
  private closed = false;
  /**
   * The last capture time per kind (video units, audio units, stills): each kind is in order, but
   * the kinds interleave loosely (stills come from a decoder, audio and video from separate outputs),
   * so only a kind going back in time is a clock step.
   */
  private readonly lastAt = new Map<Item['kind'], number>();
  private event: OpenEvent | undefined;
  private continuationPending = false;
  /** Stills in the queue: the backlog that counts (units cost nothing to process). */
  private stillsQueued = 0;

  constructor(init: UnitCaptureInit) {
    if (!isStreamId(init.cameraId)) throw new MotionOptionError('cameraId', `must be ${STREAM_ID_RULE}`);
    this.cameraId = init.cameraId;
    this.options = captureOptions(init.options);
    this.detector = new MotionDetector(this.options.motion);
    this.lumaSize = { width: this.detector.options.width, height: this.detector.options.height };
    this.preRoll = new GopPreRoll(this.options.preRollSeconds * 1000, this.options.preRollBytes);
    this.onEvent = init.onEvent;
    this.onError = init.onError ?? (() => {});
  }

  get recording(): boolean {
    return this.event !== undefined;
  }

  push(item: Item): void {
    if (this.closed) return;
    if (item.kind === 'still') this.stillsQueued++;
    this.queue.push(item);
    if (!this.running) {
      this.running = true;
      this.worker = this.drain();
    }
  }

  async whenIdle(): Promise<void> {
    while (this.running) await this.worker;
  }

  async flush(): Promise<void> {
    await this.whenIdle();
    if (this.event) this.closeEvent('flush');
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    this.preRoll.clear();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      try {
        if (item.kind === 'still') {
          this.stillsQueued--;
          let luma: LumaImage | undefined =
            item.luma && isLumaOfSize(item.luma, this.lumaSize) ? item.luma : undefined;
          // Only a decode costs time: a still whose source made its luma is always analysed.
          if (!luma && this.stillsQueued <= this.options.maxBacklog) {
            try {
              luma = await lumaOf(
                {
                  cameraId: item.cameraId,
                  capturedAt: item.capturedAt,
                  jpeg: item.jpeg,
                  width: item.width,
                  height: item.height,
                  ...(item.luma ? { luma: item.luma } : {}),
                },
                this.lumaSize,
              );
            } catch (error) {
              this.report(error);
            }
          }
          this.checkClock(item.kind, item.capturedAt);
          if (luma) this.onStill(item, this.detector.push(luma, item.capturedAt));
        } else {
          this.checkClock(item.kind, item.capturedAt);
          this.onUnit(item);
        }
      } catch (error) {
        this.report(error);
      }
    }
    this.running = false;
  }

  private checkClock(kind: Item['kind'], at: number): void {
    if (at < (this.lastAt.get(kind) ?? Number.NEGATIVE_INFINITY)) {
      if (this.event) this.closeEvent('clock-step');
      this.continuationPending = false;
      this.preRoll.clear();
      this.detector.reset();
    }
    this.lastAt.set(kind, at);
  }

  private onStill(still: StillPicture, update: MotionUpdate): void {
    const at = still.capturedAt;
    if (!this.event && update.started) {
      const units = this.preRoll.takeSince(at - this.options.preRollSeconds * 1000);
      this.event = this.newEvent(units, at);
      // The pre-roll goes on filling from the next keyframe, for the event after this one.
    }
    const event = this.event;
    if (!event) return;
    if (update.motion && update.state === 'active') {
      event.start ??= at;
      event.lastMotionAt = at;
      if (update.changedFraction > event.peakScore) {
        event.peakScore = update.changedFraction;
        event.peakStill = still;
      }
    }
    // New motion during the post-roll extends the event.
    if (update.started) event.motionOver = false;
    if (update.ended) event.motionOver = true;
  }

  private onUnit(unit: MediaUnit): void {
    const { postRollSeconds, maxEventSeconds, maxEventBytes } = this.options;
    const at = unit.capturedAt;
    const key = unit.kind === 'h264' && unit.keyframe;
    this.preRoll.push(unit);
    let event = this.event;
    if (event?.motionOver && at > event.lastMotionAt + postRollSeconds * 1000) {
      this.closeEvent('motion-ended');
      event = undefined;
    }
    if (event && key && at - event.clipStart >= maxEventSeconds * 1000) {
      this.split('max-duration', event, event.units.length, at);
      event = this.event;
    } else if (event && event.bytes + unit.data.length > maxEventBytes) {
      this.split('max-bytes', event, key ? event.units.length : event.lastKey, at);
      event = this.event;
    }
    if (!event && this.continuationPending && key) {
      this.continuationPending = false;
      event = this.newEvent([], at);
      this.event = event;
    }
    if (!event || (event.units.length === 0 && !key)) return;
    if (key) event.lastKey = event.units.length;
    event.units.push(unit);
    event.bytes += unit.data.length;
    if (unit.kind === 'h264') event.videoUnits++;
  }

  /** Closes `event` with its units before `cut`; while motion goes on, the rest continues. */
  private split(reason: CloseReason, event: OpenEvent, cut: number, at: number): void {
    const goesOn = this.detector.state === 'active' && !event.motionOver;
    const rest = cut > 0 ? event.units.splice(cut) : [];
    for (const unit of rest) {
      event.bytes -= unit.data.length;
      if (unit.kind === 'h264') event.videoUnits--;
    }
    this.closeEvent(reason);
    if (!goesOn) return;
    if (rest.length > 0 && cut > 0) {
      const next = this.newEvent([], rest[0]!.capturedAt);
      for (const unit of rest) {
        next.units.push(unit);
        next.bytes += unit.data.length;
        if (unit.kind === 'h264') next.videoUnits++;
      }
      this.event = next;
    } else if (cut > 0) {
      this.event = this.newEvent([], at);
    } else {
      // One GOP alone is over the byte cap: the continuation starts at the next keyframe.
      this.continuationPending = true;
    }
  }

  private newEvent(units: MediaUnit[], at: number): OpenEvent {
    let bytes = 0;
    let videoUnits = 0;
    let lastKey = 0;
    units.forEach((unit, index) => {
      bytes += unit.data.length;
      if (unit.kind === 'h264') {
        videoUnits++;
        if (unit.keyframe) lastKey = index;
      }
    });
    const event: OpenEvent = {
      units,
      bytes,
      videoUnits,
      lastKey,
      clipStart: units[0]?.capturedAt ?? at,
      start: undefined,
      lastMotionAt: at,
      peakScore: -1,
      peakStill: undefined,
      motionOver: false,
    };
    return event;
  }

  private closeEvent(reason: CloseReason): void {
    const event = this.event;
    if (!event) return;
    this.event = undefined;
    // A continuation without motion, or a clip without a single video unit, is not an event.
    if (event.start === undefined || event.peakStill === undefined || event.videoUnits === 0) return;
    const units = event.units;
    const captured: CapturedUnitEvent = {
      cameraId: this.cameraId,
      start: event.start,
      end: event.lastMotionAt,
      clipStart: units[0]!.capturedAt,
      clipEnd: units[units.length - 1]!.capturedAt,
      score: event.peakScore,
      units,
      videoUnits: event.videoUnits,
      bytes: event.bytes,
      thumbnailSource: event.peakStill,
      closedBy: reason,
    };
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
