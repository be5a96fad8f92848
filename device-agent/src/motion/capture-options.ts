import { type MotionDetectorOptions, motionOptions } from './detector.js';
import { checkNumber, MotionOptionError, withDefaults } from './option-error.js';

const MIB = 1024 * 1024;

/** How much of the stream around a motion event is kept. Times are seconds, sizes JPEG bytes. */
export interface CaptureOptions {
  /** Frames kept from before the first motion frame: at most this old… */
  readonly preRollSeconds: number;
  /** …and at most this many bytes (the oldest go first). Below maxEventBytes. */
  readonly preRollBytes: number;
  /** Frames kept after the last motion frame. */
  readonly postRollSeconds: number;
  /** Longest clip (first to last frame, pre-roll included); longer motion continues in a new event. */
  readonly maxEventSeconds: number;
  /** Largest clip; a frame that would exceed it starts a new event (see EventCapture). */
  readonly maxEventBytes: number;
  /**
   * Frames waiting behind the one being processed above which that frame is not analysed for motion
   * (it is still kept for clips), so a slow decoder never builds up a growing queue.
   */
  readonly maxBacklog: number;
  readonly motion: Partial<MotionDetectorOptions>;
}

export const DEFAULT_CAPTURE_OPTIONS: CaptureOptions = {
  preRollSeconds: 2,
  preRollBytes: 8 * MIB,
  postRollSeconds: 3,
  maxEventSeconds: 30,
  maxEventBytes: 24 * MIB,
  maxBacklog: 4,
  motion: {},
};

/** Every setting is checked (motion ones too); a MotionOptionError names the first bad one. */
export function captureOptions(given?: Partial<CaptureOptions>): CaptureOptions {
  const o = withDefaults(DEFAULT_CAPTURE_OPTIONS, given);
  checkNumber('preRollSeconds', o.preRollSeconds, { min: 0, max: 60 });
  checkNumber('preRollBytes', o.preRollBytes, { min: 0, max: 256 * MIB, integer: true });
  checkNumber('postRollSeconds', o.postRollSeconds, { min: 0, max: 600 });
  checkNumber('maxEventSeconds', o.maxEventSeconds, { min: 0, max: 3_600, minExclusive: true });
  checkNumber('maxEventBytes', o.maxEventBytes, { min: 1, max: 1024 * MIB, integer: true });
  checkNumber('maxBacklog', o.maxBacklog, { min: 0, max: 1_000, integer: true });
  if (o.preRollSeconds >= o.maxEventSeconds)
    throw new MotionOptionError('preRollSeconds', 'must be below maxEventSeconds');
  if (o.preRollBytes >= o.maxEventBytes)
    throw new MotionOptionError('preRollBytes', 'must be below maxEventBytes');
  return { ...o, motion: motionOptions(o.motion) };
}
