import type { LumaImage } from '../camera/frame.js';
import { DEFAULT_LUMA_SIZE } from './luma.js';
import { checkNumber, withDefaults } from './option-error.js';

/** Per-camera motion settings. Times are seconds; `at` values passed to `push` are Unix ms. */
export interface MotionDetectorOptions {
  /** Size of the luma images `push` takes (see lumaOf). */
  readonly width: number;
  readonly height: number;
  /** A pixel has changed when |pixel − background| ≥ threshold (1 … 255). */
  readonly threshold: number;
  /** A frame shows motion when at least this fraction of its pixels changed (0 < minArea ≤ 1). */
  readonly minArea: number;
  /** After an event ends, no new event starts for this long. */
  readonly cooldownSeconds: number;
  /** An event ends once this long has passed since its last frame with motion. */
  readonly endAfterSeconds: number;
  /**
   * Time constant of the background's adaptation: a change that stays (a parked car, a light switched
   * on) is absorbed into the background after about 1.4 × this (for a change of 100 grey levels and a
   * threshold of 25), and then no longer counts as motion.
   */
  readonly backgroundSeconds: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionDetectorOptions = {
  width: DEFAULT_LUMA_SIZE.width,
  height: DEFAULT_LUMA_SIZE.height,
  threshold: 25,
  minArea: 0.02,
  cooldownSeconds: 10,
  endAfterSeconds: 2,
  backgroundSeconds: 5,
};

/** Every setting is checked; a MotionOptionError names the first bad one. */
export function motionOptions(given?: Partial<MotionDetectorOptions>): MotionDetectorOptions {
  const o = withDefaults(DEFAULT_MOTION_OPTIONS, given);
  checkNumber('width', o.width, { min: 1, max: 1024, integer: true });
  checkNumber('height', o.height, { min: 1, max: 1024, integer: true });
  checkNumber('threshold', o.threshold, { min: 1, max: 255 });
  checkNumber('minArea', o.minArea, { min: 0, max: 1, minExclusive: true });
  checkNumber('cooldownSeconds', o.cooldownSeconds, { min: 0, max: 86_400 });
  checkNumber('endAfterSeconds', o.endAfterSeconds, { min: 0, max: 3_600 });
  checkNumber('backgroundSeconds', o.backgroundSeconds, { min: 0, max: 86_400, minExclusive: true });
  return o;
}

/**
 * The largest weight one frame gets in the background. Without it, a frame analysed after a long gap
 * (frames skipped under load, a camera at 1 fps, a stall) would stand for the whole gap and imprint a
 * passing object onto the background, which then reads as motion on the next frame after the object
 * has left. With the default 5 s time constant the cap applies to gaps above about 0.5 s; below about
 * 2 fps the background adapts correspondingly slower than `backgroundSeconds` says.
 */
const MAX_ALPHA = 0.1;

/**
 * idle: waiting for motion. active: an event is running. cooldown: an event just ended; motion is
 * still measured and reported, but it starts no event until `cooldownSeconds` have passed.
 */
export type MotionState = 'idle' | 'active' | 'cooldown';

export interface MotionUpdate {
  /** Fraction of pixels that changed, 0 … 1 (the motion score). */
  readonly changedFraction: number;
  /** changedFraction ≥ minArea. */
  readonly motion: boolean;
  /** State after this frame. */
  readonly state: MotionState;
  /** This frame started an event (idle → active). */
  readonly started?: true;
  /** This frame ended the event (active → cooldown): `endAfterSeconds` without motion. */
  readonly ended?: true;
}

/**
 * Frame differencing on small greyscale images against a slowly adapting background (an exponential
 * moving average of past frames with time constant `backgroundSeconds`).
 *
 * Why a background and not the previous frame: differencing consecutive frames sees only the edges of a
 * moving object and almost nothing of a slow one (a person walking towards the camera at 5 fps changes
 * few pixels between frames), and it goes quiet the moment something stops moving. Against a
 * background the whole object counts, for as long as it is in the scene and until it is absorbed, so
 * scores are stable and an event does not end while someone stands still for a second. The cost is a
 * float per pixel, and a sudden global lighting change reads as motion until absorbed (a previous-frame
 * detector sees such a change for one frame only).
 *
 * The adaptation rate depends on elapsed time, not on the frame count, so the behaviour is the same at
 * any frame rate from about 2 fps up (see MAX_ALPHA). Pure: no I/O, no clock; the same inputs give the same outputs.
 */
export class MotionDetector {
  readonly options: MotionDetectorOptions;
  private readonly background: Float32Array;
  private hasBackground = false;
  private lastAt = 0;
  private current: MotionState = 'idle';
  private lastMotionAt = 0;
  private cooldownUntil = 0;

  constructor(options?: Partial<MotionDetectorOptions>) {
    this.options = motionOptions(options);
    this.background = new Float32Array(this.options.width * this.options.height);
  }

  get state(): MotionState {
    return this.current;
  }

  /**
   * Takes the next frame's luma (of the configured size) and its capture time (ms, non-decreasing:
   * a RangeError otherwise; call `reset` after a clock step). The first frame only seeds the background.
   */
  push(luma: LumaImage, at: number): MotionUpdate {
    const { width, height, threshold, minArea } = this.options;
    if (luma.width !== width || luma.height !== height || luma.data.length !== width * height)
      throw new RangeError(`luma is ${luma.width}×${luma.height}, detector is ${width}×${height}`);
    if (!Number.isFinite(at)) throw new RangeError(`motion time ${at} is not finite`);
    if (this.hasBackground && at < this.lastAt)
      throw new RangeError(`motion time went backwards (${at} < ${this.lastAt})`);
    const pixels = luma.data;
    const background = this.background;
    if (!this.hasBackground) {
      background.set(pixels);
      this.hasBackground = true;
      this.lastAt = at;
      return this.transition(0, false, at);
    }
    const alpha = Math.min(
      MAX_ALPHA,
      1 - Math.exp(-(at - this.lastAt) / (this.options.backgroundSeconds * 1000)),
    );
    this.lastAt = at;
    let changed = 0;
    for (let i = 0; i < pixels.length; i++) {
      const pixel = pixels[i]!;
      const model = background[i]!;
      if (Math.abs(pixel - model) >= threshold) changed++;
      background[i] = model + alpha * (pixel - model);
    }
    const changedFraction = changed / pixels.length;
    return this.transition(changedFraction, changedFraction >= minArea, at);
  }

  /** Forgets the background and any event (after a clock step or a camera restart). */
  reset(): void {
    this.hasBackground = false;
    this.current = 'idle';
  }

  private transition(changedFraction: number, motion: boolean, at: number): MotionUpdate {
    if (this.current === 'cooldown' && at >= this.cooldownUntil) this.current = 'idle';
    switch (this.current) {
      case 'idle':
        if (!motion) return { changedFraction, motion, state: 'idle' };
        this.current = 'active';
        this.lastMotionAt = at;
        return { changedFraction, motion, state: 'active', started: true };
      case 'active':
        if (motion) {
          this.lastMotionAt = at;
          return { changedFraction, motion, state: 'active' };
        }
        if (at - this.lastMotionAt < this.options.endAfterSeconds * 1000)
          return { changedFraction, motion, state: 'active' };
        this.current = 'cooldown';
        this.cooldownUntil = at + this.options.cooldownSeconds * 1000;
        return { changedFraction, motion, state: 'cooldown', ended: true };
      case 'cooldown':
        return { changedFraction, motion, state: 'cooldown' };
    }
  }
}
